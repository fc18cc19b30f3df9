package main

// These tests read the repository's Dockerfile and .dockerignore, which
// nothing here builds (there is no Docker engine in CI), so that the
// essentials of the image cannot rot unnoticed: a static non-root binary
// on distroless, volumes, a health check, no secrets, a Go toolchain new
// enough for go.mod, and a build context that holds what the build needs.
// BuildKit's own parser reads the Dockerfile, and Docker's pattern matcher
// the .dockerignore, so the checks see both as docker build does.

import (
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

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerfile is a Dockerfile as BuildKit reads it: the ARGs before the
// first FROM, and the stages with their instructions.
type dockerfile struct {
	metaArgs []instructions.ArgCommand
	stages   []instructions.Stage
}

// parseDockerfile parses src with BuildKit, and expands the words of each
// instruction (quotes, escapes, --mount options) as a build would, with no
// build arguments set.
func parseDockerfile(src string) (*dockerfile, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return nil, err
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, err
	}
	lex := shell.NewLex(res.EscapeToken)
	expand := func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(nil))
		return out, err
	}
	for _, st := range stages {
		for _, c := range st.Commands {
			if e, ok := c.(instructions.SupportsSingleWordExpansion); ok {
				if err := e.Expand(expand); err != nil {
					return nil, fmt.Errorf("line %d: %w", dfLine(c), err)
				}
			}
		}
	}
	return &dockerfile{metaArgs: metaArgs, stages: stages}, nil
}

// final returns the instructions of the last stage.
func (df *dockerfile) final() []instructions.Command {
	return df.stages[len(df.stages)-1].Commands
}

// dfLine is the line an instruction starts on, from 1.
func dfLine(c instructions.Command) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// dfLast returns the last instruction of type T among cmds.
func dfLast[T instructions.Command](cmds []instructions.Command) (T, bool) {
	for i := len(cmds) - 1; i >= 0; i-- {
		if c, ok := cmds[i].(T); ok {
			return c, true
		}
	}
	var zero T
	return zero, false
}

// dfArgs shows an instruction's arguments as written, for messages.
func dfArgs(c instructions.Command) string {
	_, rest, _ := strings.Cut(fmt.Sprint(c), " ")
	return rest
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
	if df.stages[0].Name == "" {
		bad("the first stage has no name: want FROM ... AS build")
	}
	finalStage := len(df.stages) - 1
	final := df.final()

	// The build: static, reproducible paths, cached modules.
	built := false
	for _, st := range df.stages[:finalStage] {
		for _, c := range st.Commands {
			run, ok := c.(*instructions.RunCommand)
			if !ok || !strings.Contains(strings.Join(run.CmdLine, " "), "go build") {
				continue
			}
			built = true
			for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
				if !strings.Contains(strings.Join(run.CmdLine, " "), want) {
					bad("line %d: go build without %s", dfLine(run), want)
				}
			}
			if !slices.ContainsFunc(instructions.GetMounts(run), func(m *instructions.Mount) bool { return m.Type == instructions.MountTypeCache }) {
				bad("line %d: go build without --mount=type=cache", dfLine(run))
			}
		}
	}
	if !built {
		bad("no RUN ... go build in a build stage")
	}

	// The final image: minimal, not root.
	if img := df.stages[finalStage].BaseName; !strings.Contains(img, "distroless") && img != "scratch" {
		bad("final image %s is not distroless or scratch", img)
	}
	if in, ok := dfLast[*instructions.UserCommand](final); !ok {
		bad("no USER in the final stage: the bot would run as root")
	} else if u, _, _ := strings.Cut(in.User, ":"); u == "root" || u == "0" || u == "" {
		bad("line %d: USER %s runs the bot as root", dfLine(in), in.User)
	}

	volumes := map[string]bool{}
	for _, c := range final {
		if v, ok := c.(*instructions.VolumeCommand); ok {
			for _, p := range v.Volumes {
				volumes[p] = true
			}
		}
	}
	for _, want := range []string{"/data", "/corpus"} {
		if !volumes[want] {
			bad("no VOLUME %s in the final stage", want)
		}
	}

	// How it starts and is checked.
	binary := ""
	if in, ok := dfLast[*instructions.EntrypointCommand](final); !ok {
		bad("no ENTRYPOINT in the final stage")
	} else if in.PrependShell || len(in.CmdLine) == 0 {
		bad("line %d: ENTRYPOINT %s is not in exec form (a JSON array)", dfLine(in), dfArgs(in))
	} else {
		binary = in.CmdLine[0]
		copied := slices.ContainsFunc(final, func(c instructions.Command) bool {
			cp, ok := c.(*instructions.CopyCommand)
			return ok && cp.DestPath == binary
		})
		if !copied {
			bad("line %d: ENTRYPOINT runs %s, which no COPY in the final stage puts there", dfLine(in), binary)
		}
	}
	if in, ok := dfLast[*instructions.CmdCommand](final); !ok {
		bad(`no CMD ["serve"] in the final stage`)
	} else if in.PrependShell || !slices.Equal(in.CmdLine, []string{"serve"}) {
		bad(`line %d: CMD %s, want CMD ["serve"]`, dfLine(in), dfArgs(in))
	}
	if in, ok := dfLast[*instructions.HealthCheckCommand](final); !ok {
		bad("no HEALTHCHECK in the final stage")
	} else {
		test := in.Health.Test
		switch {
		case len(test) == 0 || test[0] == "NONE":
			bad("line %d: HEALTHCHECK %s does not run a check", dfLine(in), dfArgs(in))
		case test[0] != "CMD" || len(test) < 3 || (binary != "" && test[1] != binary) || test[2] != "health":
			bad("line %d: HEALTHCHECK %s, want CMD [%q, \"health\"] (distroless has no shell)", dfLine(in), dfArgs(in), binary)
		}
	}

	// Secrets are given at run time, never baked into the image. Build
	// arguments stay in the image history, with or without a default.
	args := slices.Clone(df.metaArgs)
	for _, st := range df.stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				args = append(args, *c)
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if dfSecretName.MatchString(kv.Key) && kv.Value != "" {
						bad("line %d: ENV %s puts a secret in the image", dfLine(c), kv.Key)
					}
				}
			case *instructions.LabelCommand:
				for _, kv := range c.Labels {
					if dfSecretName.MatchString(kv.Key) && kv.Value != "" {
						bad("line %d: LABEL %s puts a secret in the image", dfLine(c), kv.Key)
					}
				}
			}
		}
	}
	for _, a := range args {
		for _, kv := range a.Args {
			if dfSecretName.MatchString(kv.Key) {
				bad("line %d: ARG %s passes a secret to the build", dfLine(&a), kv.Key)
			}
		}
	}

	// COPY --from names an earlier stage.
	for n, st := range df.stages {
		for _, c := range st.Commands {
			cp, ok := c.(*instructions.CopyCommand)
			if !ok || cp.From == "" {
				continue
			}
			known := false
			for i, s := range df.stages[:n] {
				if strings.EqualFold(cp.From, s.Name) || cp.From == strconv.Itoa(i) {
					known = true
				}
			}
			if !known {
				bad("line %d: COPY --from=%s names no earlier stage", dfLine(cp), cp.From)
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
		image := df.stages[0].BaseName
		tag, ok := strings.CutPrefix(image, "golang:")
		if !ok {
			bad("build stage image %s is not golang:X.Y", image)
		} else if v, _, _ := strings.Cut(tag, "-"); !goVersionCovers(v, need) {
			bad("build image %s has Go %s, older than go.mod's go %s", image, v, need)
		}
	}

	// Everything copied from the build context is there and not ignored.
	for _, st := range df.stages {
		for _, c := range st.Commands {
			var srcs []string
			switch c := c.(type) {
			case *instructions.CopyCommand:
				if c.From != "" {
					continue
				}
				srcs = c.SourcePaths
			case *instructions.AddCommand:
				srcs = c.SourcePaths
			default:
				continue
			}
			name := strings.ToUpper(c.Name())
			for _, src := range srcs {
				rel := path.Clean(strings.TrimPrefix(src, "/"))
				matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(rel)))
				if err != nil || len(matches) == 0 {
					bad("line %d: %s %s: no such path in the repository", dfLine(c), name, src)
					continue
				}
				if rel != "." && ignore.ignored(rel) {
					bad("line %d: %s %s: the path is excluded by .dockerignore", dfLine(c), name, src)
				}
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

// ignoreRules are the patterns of a .dockerignore, as Docker matches them.
type ignoreRules struct {
	pm *patternmatcher.PatternMatcher
}

// parseDockerignore reads a .dockerignore as docker build does.
func parseDockerignore(src string) (ignoreRules, error) {
	patterns, err := ignorefile.ReadAll(strings.NewReader(src))
	if err != nil {
		return ignoreRules{}, fmt.Errorf(".dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return ignoreRules{}, fmt.Errorf(".dockerignore: %w", err)
	}
	return ignoreRules{pm}, nil
}

// ignored reports whether the slash-separated path rel, relative to the
// build context, is left out of it: the last rule matching it or one of
// its parent folders decides.
func (r ignoreRules) ignored(rel string) bool {
	out, err := r.pm.MatchesOrParentMatches(rel)
	return err == nil && out
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
	for _, c := range df.final() {
		if e, ok := c.(*instructions.EnvCommand); ok {
			for _, kv := range e.Env {
				env[kv.Key] = kv.Value
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

// TestDockerfileParser pins what the checks read from BuildKit's parse:
// lines, stages, mounts split over a continuation with a comment in it,
// lower-case instructions, quoted ENV values, COPY options.
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
	for n, st := range df.stages {
		got = append(got, fmt.Sprintf("%d %d FROM %s %s", st.Location[0].Start.Line, n, st.BaseName, st.Name))
		for _, c := range st.Commands {
			line := fmt.Sprintf("%d %d %s", dfLine(c), n, strings.ToUpper(c.Name()))
			switch c := c.(type) {
			case *instructions.RunCommand:
				for _, m := range instructions.GetMounts(c) {
					line += fmt.Sprintf(" mount:%s:%s", m.Type, m.Target)
				}
				line += fmt.Sprintf(" %q", c.CmdLine)
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					line += fmt.Sprintf(" %s=%q", kv.Key, kv.Value)
				}
			case *instructions.CopyCommand:
				line += fmt.Sprintf(" from:%s chown:%s %v %s", c.From, c.Chown, c.SourcePaths, c.DestPath)
			case *instructions.CmdCommand:
				line += fmt.Sprintf(" %q shell:%v", c.CmdLine, c.PrependShell)
			}
			got = append(got, line)
		}
	}
	want := []string{
		"2 0 FROM golang:1.26 build",
		`3 0 RUN mount:cache:/a mount:cache:/b ["go build ./x"]`,
		"8 1 FROM scratch ",
		`9 1 ENV A="1" B="two words"`,
		"10 1 COPY from:build chown:1:1 [/out/x] /x",
		`11 1 CMD ["serve"] shell:false`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("parsed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
