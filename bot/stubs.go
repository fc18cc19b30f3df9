package main

import (
	"context"
	"errors"
)

func (c *cli) serve(ctx context.Context, args []string) error { return errors.New("not yet") }
