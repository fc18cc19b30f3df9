package fakeopenai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strings"
	"unicode"

	openai "github.com/sashabaranov/go-openai"
)

// Vector returns the deterministic unit vector of dimension dim that the
// fake server returns for text. Each word of the text adds ±1 to a dimension
// chosen by its hash, so texts that share words have similar vectors, which
// is enough for retrieval tests. A text with no words gets a vector derived
// from its bytes. Vector panics if dim < 1.
func Vector(text string, dim int) []float32 {
	if dim < 1 {
		panic("fakeopenai: dimension must be positive")
	}
	v := make([]float64, dim)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	for _, w := range words {
		h := hash64(w)
		sign := 1.0
		if h&(1<<63) != 0 {
			sign = -1
		}
		v[h%uint64(dim)] += sign
	}
	if len(words) == 0 {
		x := hash64(text)
		for i := range v {
			x = splitmix(x)
			v[i] = float64(int64(x)) / math.MaxInt64
		}
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dim)
	for i, x := range v {
		if norm > 0 {
			out[i] = float32(x / norm)
		}
	}
	if norm == 0 {
		out[0] = 1
	}
	return out
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// splitmix is one step of the SplitMix64 generator.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Input          json.RawMessage `json:"input"`
		Model          string          `json:"model"`
		EncodingFormat string          `json:"encoding_format"`
		Dimensions     int             `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "request body is not an embeddings request: "+err.Error())
		return
	}
	req := EmbeddingRequest{Model: body.Model, EncodingFormat: body.EncodingFormat, Dimensions: body.Dimensions}
	input := bytes.TrimSpace(body.Input)
	var one string
	switch {
	case len(input) > 0 && input[0] == '"' && json.Unmarshal(input, &one) == nil:
		req.Input = []string{one}
	case json.Unmarshal(input, &req.Input) == nil && len(req.Input) > 0:
	default:
		writeError(w, http.StatusBadRequest, "input must be a string or a non-empty array of strings")
		return
	}
	for _, text := range req.Input {
		if text == "" {
			writeError(w, http.StatusBadRequest, "input contains an empty string")
			return
		}
	}

	s.mu.Lock()
	s.embedReqs = append(s.embedReqs, req)
	dim := s.dim
	var resp EmbedResponse
	switch {
	case len(s.embedQueue) > 0:
		resp = s.embedQueue[0]
		s.embedQueue = s.embedQueue[1:]
	case s.embedReply != nil:
		reply := s.embedReply
		s.mu.Unlock()
		resp = reply(req)
		s.mu.Lock()
	}
	s.mu.Unlock()

	if s.fault(w, r, faultSpec{
		delay:      resp.Delay,
		hangup:     resp.Hangup,
		header:     resp.Header,
		retryAfter: resp.RetryAfter,
		status:     resp.Status,
		body:       resp.Body,
		garbage:    resp.Garbage,
		message:    resp.ErrorMessage,
	}) {
		return
	}

	switch {
	case resp.Dim > 0:
		dim = resp.Dim
	case req.Dimensions > 0:
		dim = req.Dimensions
	}
	n := max(len(req.Input)-resp.Drop, 0)
	type item struct {
		Object    string `json:"object"`
		Embedding any    `json:"embedding"`
		Index     int    `json:"index"`
	}
	data := make([]item, n)
	tokens := 0
	for i := range n {
		vec := Vector(req.Input[i], dim)
		var emb any = vec
		if req.EncodingFormat == string(openai.EmbeddingEncodingFormatBase64) {
			buf := make([]byte, 4*len(vec))
			for j, x := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = item{Object: "embedding", Embedding: emb, Index: i}
		tokens += len(strings.Fields(req.Input[i]))
	}
	if resp.Reverse {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}
