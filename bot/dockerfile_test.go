package main

// These tests read the repository's Dockerfile and .dockerignore, which
// nothing here builds (there is no Docker engine in CI), so that the
// essentials of the image cannot rot unnoticed: a static non-root binary
// on distroless, volumes, a health check, no secrets, a Go toolchain new
// enough for go.mod, and a build context that holds what the build needs.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// dfInstruction is one Dockerfile instruction, continuation lines joined.
type dfInstruction struct {
	line  int                 // line it starts on, from 1
	cmd   string              // upper case: FROM, RUN, COPY...
	flags map[string][]string // leading --name=value options, by name
	args  string              // the rest, after the options
	stage int                 // index of the FROM stage it belongs to; -1 before the first
}

// dfStage is one FROM of a multi-stage build.
type dfStage struct {
	image, name string
}

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	instrs []dfInstruction
	stages []dfStage
}

// parseDockerfile reads the subset of Dockerfile syntax this repository
// uses: comments, backslash continuations (comment lines inside them are
// dropped, as Docker does) and leading --options. Heredocs and a changed
// escape character are not supported.
func parseDockerfile(src string) (*dockerfile, error) {
	df := &dockerfile{}
	var pending strings.Builder
	start := 0
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if pending.Len() == 0 {
			start = i + 1
		} else {
			pending.WriteByte(' ')
		}
		if body, more := strings.CutSuffix(line, `\`); more {
			pending.WriteString(strings.TrimSpace(body))
			continue
		}
		pending.WriteString(line)
		if err := df.add(start, pending.String()); err != nil {
			return nil, err
		}
		pending.Reset()
	}
	if pending.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation runs past the end of the file", start)
	}
	return df, nil
}

func (df *dockerfile) add(line int, text string) error {
	cmd, rest := dfCutSpace(text)
	in := dfInstruction{line: line, cmd: strings.ToUpper(cmd), flags: map[string][]string{}, stage: len(df.stages) - 1}
	for strings.HasPrefix(rest, "--") {
		var opt string
		opt, rest = dfCutSpace(rest)
		name, value, _ := strings.Cut(strings.TrimPrefix(opt, "--"), "=")
		in.flags[name] = append(in.flags[name], value)
	}
	in.args = rest
	if in.cmd == "FROM" {
		f := strings.Fields(rest)
		switch {
		case len(f) == 1:
			df.stages = append(df.stages, dfStage{image: f[0]})
		case len(f) == 3 && strings.EqualFold(f[1], "AS"):
			df.stages = append(df.stages, dfStage{image: f[0], name: f[2]})
		default:
			return fmt.Errorf("line %d: cannot read FROM %s", line, rest)
		}
		in.stage = len(df.stages) - 1
	}
	if in.stage < 0 && in.cmd != "ARG" {
		return fmt.Errorf("line %d: %s before the first FROM", line, in.cmd)
	}
	df.instrs = append(df.instrs, in)
	return nil
}

// dfCutSpace splits s at its first run of white space.
func dfCutSpace(s string) (first, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// dfExecForm reads a JSON array argument (["/bin/x", "arg"]); ok is false
// for the shell form.
func dfExecForm(args string) (words []string, ok bool) {
	if !strings.HasPrefix(args, "[") {
		return nil, false
	}
	if err := json.Unmarshal([]byte(args), &words); err != nil {
		return nil, false
	}
	return words, true
}

// dfWords splits the shell form of an argument at white space outside
// double or single quotes, removing the quotes.
func dfWords(args string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range args {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// dfKeyValues reads the pairs of ENV and LABEL: KEY=value ... or the legacy
// form KEY value.
func dfKeyValues(args string) map[string]string {
	w := dfWords(args)
	out := map[string]string{}
	if len(w) > 0 && !strings.Contains(w[0], "=") {
		out[w[0]] = strings.Join(w[1:], " ")
		return out
	}
	for _, kv := range w {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// final returns the instructions of the last stage.
func (df *dockerfile) final() []dfInstruction {
	var out []dfInstruction
	for _, in := range df.instrs {
		if in.stage == len(df.stages)-1 {
			out = append(out, in)
		}
	}
	return out
}

// dfLast returns the last instruction named cmd among ins.
func dfLast(ins []dfInstruction, cmd string) (dfInstruction, bool) {
	for i := len(ins) - 1; i >= 0; i-- {
		if ins[i].cmd == cmd {
			return ins[i], true
		}
	}
	return dfInstruction{}, false
}

// dfCopySources returns the sources and destination of a COPY or ADD.
func dfCopySources(in dfInstruction) (srcs []string, dest string) {
	w, ok := dfExecForm(in.args)
	if !ok {
		w = dfWords(in.args)
	}
	if len(w) < 2 {
		return nil, ""
	}
	return w[:len(w)-1], w[len(w)-1]
}

// dfSecretName matches variable names that hold credentials.
var dfSecretName = regexp.MustCompile(`(?i)TOKEN|API_?KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL`)

// checkDockerfile returns what is wrong with df for this repository,
// whose root is root and whose .dockerignore rules are ignore.
func checkDockerfile(df *dockerfile, root string, ignore ignoreRules) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	if len(df.stages) < 2 {
		bad("want a multi-stage build (a build stage and a small final stage), got %d FROM", len(df.stages))
		return problems
	}
	if df.stages[0].name == "" {
		bad("the first stage has no name: want FROM ... AS build")
	}
	finalStage := len(df.stages) - 1
	final := df.final()

	// The build: static, reproducible paths, cached modules.
	built := false
	for _, in := range df.instrs {
		if in.cmd != "RUN" || in.stage == finalStage || !strings.Contains(in.args, "go build") {
			continue
		}
		built = true
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
			if !strings.Contains(in.args, want) {
				bad("line %d: go build without %s", in.line, want)
			}
		}
		if !slices.ContainsFunc(in.flags["mount"], func(m string) bool { return strings.Contains(m, "type=cache") }) {
			bad("line %d: go build without --mount=type=cache", in.line)
		}
	}
	if !built {
		bad("no RUN ... go build in a build stage")
	}

	// The final image: minimal, not root.
	if img := df.stages[finalStage].image; !strings.Contains(img, "distroless") && img != "scratch" {
		bad("final image %s is not distroless or scratch", img)
	}
	if in, ok := dfLast(final, "USER"); !ok {
		bad("no USER in the final stage: the bot would run as root")
	} else if u, _, _ := strings.Cut(in.args, ":"); u == "root" || u == "0" || u == "" {
		bad("line %d: USER %s runs the bot as root", in.line, in.args)
	}

	volumes := map[string]bool{}
	for _, in := range final {
		if in.cmd != "VOLUME" {
			continue
		}
		v, ok := dfExecForm(in.args)
		if !ok {
			v = dfWords(in.args)
		}
		for _, p := range v {
			volumes[p] = true
		}
	}
	for _, want := range []string{"/data", "/corpus"} {
		if !volumes[want] {
			bad("no VOLUME %s in the final stage", want)
		}
	}

	// How it starts and is checked.
	binary := ""
	if in, ok := dfLast(final, "ENTRYPOINT"); !ok {
		bad("no ENTRYPOINT in the final stage")
	} else if ep, ok := dfExecForm(in.args); !ok || len(ep) == 0 {
		bad("line %d: ENTRYPOINT %s is not in exec form (a JSON array)", in.line, in.args)
	} else {
		binary = ep[0]
		copied := slices.ContainsFunc(final, func(c dfInstruction) bool {
			_, dest := dfCopySources(c)
			return c.cmd == "COPY" && dest == binary
		})
		if !copied {
			bad("line %d: ENTRYPOINT runs %s, which no COPY in the final stage puts there", in.line, binary)
		}
	}
	if in, ok := dfLast(final, "CMD"); !ok {
		bad(`no CMD ["serve"] in the final stage`)
	} else if cmd, ok := dfExecForm(in.args); !ok || !slices.Equal(cmd, []string{"serve"}) {
		bad(`line %d: CMD %s, want CMD ["serve"]`, in.line, in.args)
	}
	if in, ok := dfLast(final, "HEALTHCHECK"); !ok {
		bad("no HEALTHCHECK in the final stage")
	} else {
		kw, rest := dfCutSpace(in.args)
		hc, exec := dfExecForm(rest)
		switch {
		case !strings.EqualFold(kw, "CMD"):
			bad("line %d: HEALTHCHECK %s does not run a check", in.line, in.args)
		case !exec || len(hc) < 2 || (binary != "" && hc[0] != binary) || hc[1] != "health":
			bad("line %d: HEALTHCHECK %s, want CMD [%q, \"health\"] (distroless has no shell)", in.line, rest, binary)
		}
	}

	// Secrets are given at run time, never baked into the image.
	for _, in := range df.instrs {
		switch in.cmd {
		case "ARG":
			// Build arguments stay in the image history, with or without
			// a default.
			name, _, _ := strings.Cut(in.args, "=")
			if dfSecretName.MatchString(name) {
				bad("line %d: ARG %s passes a secret to the build", in.line, name)
			}
		case "ENV", "LABEL":
			for k, v := range dfKeyValues(in.args) {
				if dfSecretName.MatchString(k) && v != "" {
					bad("line %d: %s %s puts a secret in the image", in.line, in.cmd, k)
				}
			}
		}
	}

	// COPY --from names an earlier stage.
	for _, in := range df.instrs {
		for _, from := range in.flags["from"] {
			known := false
			for i, s := range df.stages[:max(in.stage, 0)] {
				if from == s.name || from == strconv.Itoa(i) {
					known = true
				}
			}
			if !known {
				bad("line %d: COPY --from=%s names no earlier stage", in.line, from)
			}
		}
	}

	// The toolchain is new enough for go.mod.
	if gomod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		bad("%v", err)
	} else if m := regexp.MustCompile(`(?m)^go\s+(\S+)`).FindSubmatch(gomod); m == nil {
		bad("go.mod has no go line")
	} else {
		need := string(m[1])
		image := df.stages[0].image
		tag, ok := strings.CutPrefix(image, "golang:")
		if !ok {
			bad("build stage image %s is not golang:X.Y", image)
		} else if v, _, _ := strings.Cut(tag, "-"); !goVersionCovers(v, need) {
			bad("build image %s has Go %s, older than go.mod's go %s", image, v, need)
		}
	}

	// Everything copied from the build context is there and not ignored.
	for _, in := range df.instrs {
		if (in.cmd != "COPY" && in.cmd != "ADD") || len(in.flags["from"]) > 0 {
			continue
		}
		srcs, _ := dfCopySources(in)
		for _, src := range srcs {
			rel := path.Clean(strings.TrimPrefix(src, "/"))
			matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil || len(matches) == 0 {
				bad("line %d: %s %s: no such path in the repository", in.line, in.cmd, src)
				continue
			}
			if rel != "." && ignore.ignored(rel) {
				bad("line %d: %s %s: the path is excluded by .dockerignore", in.line, in.cmd, src)
			}
		}
	}
	return problems
}

// goVersionCovers reports whether a Go image tagged with version have
// (such as "1.26", meaning the newest 1.26.x, or "1.26.8") satisfies a
// go.mod that needs version need.
func goVersionCovers(have, need string) bool {
	h, n := versionParts(have), versionParts(need)
	if len(h) == 0 {
		return false
	}
	for i, hv := range h {
		nv := 0
		if i < len(n) {
			nv = n[i]
		}
		if hv != nv {
			return hv > nv
		}
	}
	return true
}

// versionParts reads "1.26.8" (or "1.26rc1", as 1.26) as numbers.
func versionParts(v string) []int {
	var out []int
	for _, p := range strings.Split(v, ".") {
		end := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' })
		if end == 0 {
			return nil
		}
		if end > 0 {
			p = p[:end]
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil
		}
		out = append(out, n)
		if end > 0 {
			break
		}
	}
	return out
}

// ignoreRules are the patterns of a .dockerignore, in order.
type ignoreRules []ignoreRule

type ignoreRule struct {
	pattern string
	re      *regexp.Regexp
	negate  bool
}

// parseDockerignore reads a .dockerignore: one pattern a line, # comments,
// ! to re-include, * and ? within a path element, ** across elements.
func parseDockerignore(src string) (ignoreRules, error) {
	var rules ignoreRules
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			r.negate, line = true, strings.TrimSpace(rest)
		}
		r.pattern = path.Clean(strings.TrimPrefix(line, "/"))
		re, err := globRegexp(r.pattern)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore pattern %q: %w", line, err)
		}
		r.re = re
		rules = append(rules, r)
	}
	return rules, nil
}

// globRegexp translates a .dockerignore pattern into an anchored regular
// expression.
func globRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if strings.HasPrefix(p[i:], "**/") {
				b.WriteString("(?:.*/)?")
				i += 2
			} else if strings.HasPrefix(p[i:], "**") {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, errors.New("unclosed [")
			}
			class := p[i+1 : i+end]
			if rest, ok := strings.CutPrefix(class, "!"); ok {
				class = "^" + rest
			}
			b.WriteString("[" + class + "]")
			i += end
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// ignored reports whether the slash-separated path rel, relative to the
// build context, is left out of it: the last rule matching it or one of
// its parent folders decides.
func (rules ignoreRules) ignored(rel string) bool {
	var prefixes []string
	for p := rel; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		prefixes = append(prefixes, p)
	}
	out := false
	for _, r := range rules {
		if slices.ContainsFunc(prefixes, r.re.MatchString) {
			out = !r.negate
		}
	}
	return out
}

// repoDockerfile parses the repository's Dockerfile and .dockerignore.
func repoDockerfile(t *testing.T) (string, ignoreRules) {
	t.Helper()
	rules, err := parseDockerignore(readRepoFile(t, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	return readRepoFile(t, "Dockerfile"), rules
}

func TestDockerfile(t *testing.T) {
	src, ignore := repoDockerfile(t)
	df, err := parseDockerfile(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDockerfile(df, "..", ignore) {
		t.Error("Dockerfile: " + p)
	}
	env := map[string]string{}
	for _, in := range df.final() {
		if in.cmd == "ENV" {
			for k, v := range dfKeyValues(in.args) {
				env[k] = v
			}
		}
	}
	for k, want := range map[string]string{"NEWSBOT_CORPUS": "/corpus", "NEWSBOT_DATA": "/data", "NEWSBOT_METRICS": ":9090"} {
		if env[k] != want {
			t.Errorf("final stage sets %s=%q, want %q", k, env[k], want)
		}
	}
}

// TestDockerfileChecksCatchMistakes breaks the real Dockerfile one way at a
// time and expects checkDockerfile to name the mistake, so that the checks
// above cannot pass by checking nothing.
func TestDockerfileChecksCatchMistakes(t *testing.T) {
	src, ignore := repoDockerfile(t)
	tests := []struct {
		name, old, new string // old is a regular expression
		want           string // in one of the problems
	}{
		{"single stage", ` AS build`, ``, "name"},
		{"cgo on", `CGO_ENABLED=0 `, ``, "CGO_ENABLED=0"},
		{"no -trimpath", ` -trimpath`, ``, "-trimpath"},
		{"no build cache", `(--mount=type=cache,target=\S+ \\\n\s*)+CGO`, `CGO`, "--mount=type=cache"},
		{"full OS image", `gcr.io/distroless/static-debian12:nonroot`, `debian:bookworm-slim`, "distroless"},
		{"root user", `USER nonroot:nonroot`, `USER root`, "root"},
		{"uid 0", `USER nonroot:nonroot`, `USER 0:0`, "root"},
		{"no user", `USER nonroot:nonroot\n`, ``, "USER"},
		{"no data volume", `VOLUME \["/corpus", "/data"\]`, `VOLUME ["/corpus"]`, "/data"},
		{"no health check", `HEALTHCHECK[^\n]*\\\n[^\n]*\n`, ``, "HEALTHCHECK"},
		{"shell health check", `CMD \["/usr/local/bin/bot", "health"\]`, `CMD curl -f localhost:9090/healthz`, "HEALTHCHECK"},
		{"shell entrypoint", `ENTRYPOINT \["/usr/local/bin/bot"\]`, `ENTRYPOINT /usr/local/bin/bot`, "exec form"},
		{"entrypoint elsewhere", `ENTRYPOINT \["/usr/local/bin/bot"\]`, `ENTRYPOINT ["/bot"]`, "no COPY"},
		{"other command", `CMD \["serve"\]`, `CMD ["ask"]`, `CMD ["serve"]`},
		{"token in ENV", `USER nonroot:nonroot`, `ENV DISCORD_TOKEN=MTIz.abc.def`, "DISCORD_TOKEN"},
		{"key in legacy ENV", `USER nonroot:nonroot`, "ENV OPENAI_API_KEY sk-123\nUSER nonroot", "OPENAI_API_KEY"},
		{"secret build arg", `FROM golang`, "ARG DISCORD_TOKEN\nFROM golang", "DISCORD_TOKEN"},
		{"unknown stage", `--from=build /out/bot`, `--from=builder /out/bot`, "builder"},
		{"old toolchain", `golang:1\.26-`, `golang:1.25-`, "go.mod"},
		{"older patch", `golang:1\.26-`, `golang:1.26.0-`, "go.mod"},
		{"missing context path", `testdata/articles /corpus`, `testdata/no-such-folder /corpus`, "no-such-folder"},
		{"ignored context path", `testdata/articles /corpus`, `docs/img /corpus`, ".dockerignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := regexp.MustCompile(tt.old)
			if !re.MatchString(src) {
				t.Fatalf("the Dockerfile no longer contains %q; update this case", tt.old)
			}
			df, err := parseDockerfile(re.ReplaceAllString(src, tt.new))
			if err != nil {
				t.Fatal(err)
			}
			problems := checkDockerfile(df, "..", ignore)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("no problem mentions %q; got %q", tt.want, problems)
			}
		})
	}
}

func TestDockerfileParser(t *testing.T) {
	src := "# syntax=docker/dockerfile:1\n" +
		"FROM golang:1.26 AS build\n" +
		"RUN --mount=type=cache,target=/a \\\n" +
		"    # a comment inside a continuation is dropped\n" +
		"    --mount=type=cache,target=/b \\\n" +
		"    go build ./x\n" +
		"\n" +
		"from scratch\n" +
		"ENV A=1 B=\"two words\"\n" +
		"COPY --from=build --chown=1:1 /out/x /x\n" +
		"CMD [\"serve\"]\n"
	df, err := parseDockerfile(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range df.instrs {
		got = append(got, fmt.Sprintf("%d %d %s %v %s", in.line, in.stage, in.cmd, in.flags, in.args))
	}
	want := []string{
		"2 0 FROM map[] golang:1.26 AS build",
		"3 0 RUN map[mount:[type=cache,target=/a type=cache,target=/b]] go build ./x",
		"8 1 FROM map[] scratch",
		`9 1 ENV map[] A=1 B="two words"`,
		"10 1 COPY map[chown:[1:1] from:[build]] /out/x /x",
		`11 1 CMD map[] ["serve"]`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("parsed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if kv := dfKeyValues(`A=1 B="two words"`); kv["A"] != "1" || kv["B"] != "two words" {
		t.Errorf("keyValues = %q", kv)
	}
	if _, err := parseDockerfile("FROM x\nRUN a \\\n"); err == nil {
		t.Error("a continuation at the end of the file was accepted")
	}
}

func TestDockerfileGoVersion(t *testing.T) {
	tests := []struct {
		have, need string
		want       bool
	}{
		{"1.26", "1.26.8", true},
		{"1.26", "1.26", true},
		{"1.27", "1.26.8", true},
		{"2", "1.26.8", true},
		{"1.26.8", "1.26.8", true},
		{"1.26.9", "1.26.8", true},
		{"1.26.7", "1.26.8", false},
		{"1.25", "1.26.8", false},
		{"1.25", "1.26", false},
		{"1.26rc1", "1.26", true},
		{"latest", "1.26", false},
	}
	for _, tt := range tests {
		if got := goVersionCovers(tt.have, tt.need); got != tt.want {
			t.Errorf("goVersionCovers(%q, %q) = %v, want %v", tt.have, tt.need, got, tt.want)
		}
	}
}

// TestDockerfileBuildContext checks that .dockerignore leaves history,
// local state and editor files out of the build context, and keeps
// everything the build needs: go.mod, go.sum, every Go file of the module,
// the files they embed and the seed articles.
func TestDockerfileBuildContext(t *testing.T) {
	_, ignore := repoDockerfile(t)
	tests := []struct {
		path    string
		ignored bool
	}{
		{".git", true},
		{".git/HEAD", true},
		{".ci/run", true},
		{"bot/bot", true},
		{"bot/health.test", true},
		{"articles/local.txt", true},
		{"data/index.bin", true},
		{"bot/.health.go.swp", true},
		{".vscode/settings.json", true},
		{".env", true},
		{"go.mod", false},
		{"bot/main.go", false},
		{"testdata/articles/000_e22c96a855d117b2.txt", false},
		{"retrieval/article/testdata/corpus/seeds/x.txt", false},
		{"docs/deploy.md", false},
	}
	for _, tt := range tests {
		if got := ignore.ignored(tt.path); got != tt.ignored {
			t.Errorf(".dockerignore: ignored(%s) = %v, want %v", tt.path, got, tt.ignored)
		}
	}

	need := []string{"go.mod", "go.sum"}
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		need = append(need, rel)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(src), "\n") {
			patterns, ok := strings.CutPrefix(line, "//go:embed ")
			if !ok {
				continue
			}
			for _, pat := range strings.Fields(patterns) {
				matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), pat))
				for _, m := range matches {
					r, _ := filepath.Rel(root, m)
					need = append(need, filepath.ToSlash(r))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	articles, _ := filepath.Glob(filepath.Join(root, "testdata", "articles", "*"))
	for _, a := range articles {
		r, _ := filepath.Rel(root, a)
		need = append(need, filepath.ToSlash(r))
	}
	if len(need) < 20 {
		t.Fatalf("found only %d files the build needs; is the walk broken? %q", len(need), need)
	}
	for _, p := range need {
		if ignore.ignored(p) {
			t.Errorf(".dockerignore leaves %s out of the build context, which the build needs", p)
		}
	}
}
