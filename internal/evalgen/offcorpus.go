package main

type offQuestion struct {
	q question
}

func offCorpusSet(c *corpus, o options) ([]offQuestion, error) { return nil, nil }
