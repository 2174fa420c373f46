#!/usr/bin/env python3
"""Regenerate the hand-made seed inputs of tests/fuzz/corpus/.

Seeds are small files that reach the interesting paths of each parser;
libFuzzer grows its working corpus from them (build/fuzz/corpus/, not
committed). Inputs that once crashed live in corpus/<target>/regress-*
and are never regenerated. Run from the repository root:
    python3 tests/fuzz/make-seeds.py [SHARED]
"""
import os, re, sys, glob

SHARED = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SHARED", "../shared")
OUT = "tests/fuzz/corpus"

def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= 8192, (target, name)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def frontmatters():
    out = []
    for p in sorted(glob.glob(os.path.join(SHARED, "corpus/**/*.prompt"), recursive=True)):
        t = open(p, "rb").read()
        m = re.match(rb"---\n(.*?\n)---\n", t, re.S)
        if m:
            out.append((os.path.basename(p), m.group(1)))
    return out

POPS_YAML = open("lib/config.c").read()
tmpl = "".join(re.findall(r'^"(.*)"$', POPS_YAML.split("pops_config_template(void)")[1], re.M))
tmpl = tmpl.encode().decode("unicode_escape")

# ---- yamldoc ----
Y = {
 "anchors.yaml": "base: &b { a: 1, b: [x, y] }\nother: *b\nlist: [*b, *b]\n",
 "merge.yaml": "defaults: &d { temperature: 0.2, max_tokens: 10 }\nfast:\n  <<: *d\n  temperature: 0.7\nmulti:\n  <<: [*d, {seed: 1}]\n",
 "bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
 "deep-flow.yaml": "[" * 200 + "]" * 200 + "\n",
 "deep-block.yaml": "".join("  " * i + "k%d:\n" % i for i in range(80)),
 "scalars.yaml": "a: 0x1F\nb: 0o17\nc: -1.5e3\nd: .inf\ne: .NaN\nf: ~\ng: True\nh: '1'\ni: !!str 12\nj: +12\nk: 1e400\nl: 012\nm: .5\nn: 5.\no: -\np: 0x\n",
 "strings.yaml": "lit: |\n  line one\n  line two\nfold: >-\n  a\n  b\ndq: \"esc \\t \\u00e9 \\x41 \\0\"\nsq: 'it''s'\n",
 "multidoc.yaml": "a: 1\n---\nb: 2\n",
 "dupkey.yaml": "a: 1\na: 2\n",
 "complexkey.yaml": "? [a, b]\n: c\n",
 "alias-key.yaml": "x: &k name\n*k : v\n",
 "tags.yaml": "a: !custom 1\nb: !!map {x: 1}\nc: !!seq [1]\n%TAG ! tag:x,2000:\n",
 "flow.yaml": "{a: [1, {b: c}], d: {e: [f, g]}, 'h': \"i\"}\n",
 "unknown-alias.yaml": "a: *nope\n",
 "tabs.yaml": "a:\n\tb: 1\n",
 "bad-utf8.yaml": b"a: \xff\xfe\xc3\n",
 "nul.yaml": b"a: \"x\\0y\"\nb: x\x00y\n",
 "empty.yaml": "",
 "comment-only.yaml": "# nothing\n",
 "tight-depth.yaml": "#!\n" + "a:\n  b:\n    c:\n      d:\n        e:\n          f:\n            g:\n              h:\n                i: 1\n",
 "tight-alias.yaml": "#!\na: &a [1, 2, 3, 4, 5, 6, 7, 8]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
 "redefine-anchor.yaml": "a: &x 1\nb: &x [2]\nc: *x\n",
 "self-merge.yaml": "a: &a\n  b: 1\n  <<: {c: 2}\nd:\n  <<: *a\n  b: 3\n",
 "suite.yaml": "prompt: summarize\nmodel: fast\ndataset: datasets/summarize.jsonl\nrepeat: 1\nthreshold: 0.90\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n  - { type: judge, model: judge, rubric: \"Faithful to the text, under 50 words.\" }\n",
 "pops.yaml": tmpl,
}
for k, v in Y.items():
    put("yamldoc", k, v)
for name, fm in frontmatters()[:25]:
    put("yamldoc", "fm-" + name + ".yaml", fm)
for p in ["variables.yaml", "whitespace.yaml", "partials.yaml", "helpers/json.yaml", "helpers/role.yaml"]:
    src = os.path.join(SHARED, "spec/dotprompt", p)
    if os.path.exists(src) and os.path.getsize(src) <= 8192:
        put("yamldoc", "spec-" + p.replace("/", "-"), open(src, "rb").read())

# ---- config ----
C = {
 "template.yaml": tmpl,
 "minimal.yaml": "version: 1\n",
 "design.yaml": """version: 1
prompts: prompts
evals: evals
providers:
  openai:    { type: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY }
  anthropic: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }
  local:     { type: openai, base_url: http://127.0.0.1:11434/v1 }
  tool:      { type: exec, command: [./run.sh, --x] }
  rec:       { type: replay, cassette: cassettes/x.jsonl, timeout: 2.5, max_concurrency: 4, headers: { X-A: b } }
models:
  fast:  { provider: openai, id: gpt-4o-mini-2024-07-18, config: { temperature: 0 } }
  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929, allow_floating: true }
pricing:
  gpt-4o-mini-2024-07-18: { input: 0.15, output: 0.60, cached_input: 0.075 }
environments:
  - name: dev
  - name: staging
    require: { suites: [evals/smoke.yaml] }
  - name: prod
    require: { from: staging, suites: evals/full.yaml, min_pass_rate: 0.95, no_regression: true, approvals: 2 }
""",
 "bad-from.yaml": "version: 1\nenvironments:\n  - name: prod\n    require: { from: staging }\n",
 "dup-env.yaml": "version: 1\nenvironments:\n  - name: a\n  - name: a\n",
 "bad-key.yaml": "version: 1\nprovders: {}\n",
 "escape.yaml": "version: 1\nprompts: ../x\nevals: /abs\n",
 "key-in-env.yaml": "version: 1\nproviders:\n  o: { type: openai, api_key_env: sk-abc123 }\n",
 "bad-types.yaml": "version: '1'\nmodels: [a]\npricing: { m: { input: -1, output: 2e9 } }\n",
 "no-provider.yaml": "version: 1\nmodels:\n  fast: { provider: nope, id: x }\n",
 "exec-no-cmd.yaml": "version: 1\nproviders:\n  e: { type: exec }\n",
 "empty-envs.yaml": "version: 1\nenvironments: []\nproviders: {}\n",
 "suites-mixed.yaml": "version: 1\nenvironments:\n  - name: a\n    require: { suites: [x.yaml, 1, {a: b}] }\n",
 "names.yaml": "version: 1\nproviders:\n  '../x': { type: openai }\nmodels:\n  '': { provider: x, id: y }\n",
 "merge.yaml": "version: 1\nproviders:\n  base: &b { type: openai, api_key_env: K }\n  o2:\n    <<: *b\n    base_url: http://127.0.0.1:1/v1\n",
}
for k, v in C.items():
    put("config", k, v)

# ---- template: "main\0name\0src\0..."; a leading 'M' selects Mustache ----
import json
def tpl(main, partials=None):
    out = main.encode()
    for k, v in (partials or {}).items():
        out += b"\0" + k.encode() + b"\0" + v.encode()
    return out

T = {
 "vars": "Hello {{name}} {{obj.a.b.c}} {{{html}}} {{! comment }} {{n}} {{f}} {{z}}.",
 "each": "{{#each list}}{{@index}}:{{this}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} {{/each}}{{#each obj}}{{@key}}={{.}}{{/each}}",
 "if-else": "{{#if t}}yes{{else}}no{{/if}}{{#unless z}}u{{/unless}}{{#with obj.a}}{{b.c}}{{../name}}{{/with}}",
 "helpers": "{{role \"system\"}}sys{{role \"user\"}}{{json obj}}{{json list indent=2}}{{history}}{{media url=\"http://x/y.png\" contentType=\"image/png\"}}{{section \"a\"}}{{#ifEquals n 3}}3{{else}}?{{/ifEquals}}{{#unlessEquals name \"Ann\"}}x{{/unlessEquals}}",
 "partials": tpl("{{> a}}{{> b tone=name}}", {"a": "A{{name}}", "b": "B{{tone}}{{> a}}"}),
 "recursion": tpl("{{> self}}", {"self": "x{{#if t}}{{> self}}{{/if}}"}),
 "partial-bomb": tpl("{{> p4}}", {"p0": "0123456789", "p1": "{{> p0}}{{> p0}}{{> p0}}{{> p0}}", "p2": "{{> p1}}{{> p1}}{{> p1}}{{> p1}}", "p3": "{{> p2}}{{> p2}}{{> p2}}{{> p2}}", "p4": "{{#each big}}{{> p3}}{{/each}}"}),
 "partial-bomb-big": tpl("{{> p10}}", dict([("p0", "0123456789")] + [("p%d" % k, "{{> p%d}}" % (k - 1) * 4) for k in range(1, 11)])),
 "each-bomb": "{{#each big}}{{#each ../big}}{{#each ../../big}}{{#each ../../../big}}x{{/each}}{{/each}}{{/each}}{{/each}}",
 "whitespace": "  {{#if t}}\n  line\n  {{/if}}\n{{~name~}}  \n{{#each list~}} {{this}} {{~/each}}",
 "unclosed": "{{#if t}}open",
 "mismatch": "{{#if t}}{{/each}}",
 "unknown-helper": "{{frobnicate name}}",
 "lookup": "{{lookup list 1}}{{lookup obj \"a\"}}{{@root.name}}{{@state.x}}",
 "delims": "M{{=<% %>=}}<% name %><%={{ }}=%>{{name}}",
 "mustache-sections": "M{{#list}}[{{.}}]{{/list}}{{^z}}none{{/z}}{{&html}}{{html}}",
}
for k, v in T.items():
    put("template", k, v)
for f in sorted(glob.glob(os.path.join(SHARED, "spec/mustache/*.json"))):
    base = os.path.basename(f).replace(".json", "").lstrip("~")
    for i, t in enumerate(json.load(open(f))["tests"][:6]):
        put("template", "mustache-%s-%d" % (base, i), tpl("M" + t["template"], t.get("partials")))

# ---- promptfile: whole .prompt files ----
small = [p for p in sorted(glob.glob(os.path.join(SHARED, "corpus/**/*.prompt"), recursive=True))
         if os.path.getsize(p) <= 4096]
for p in small[:30]:
    put("promptfile", os.path.basename(p), open(p, "rb").read())
P = {
 "schema.prompt": "---\nmodel: fast\nconfig: {temperature: 0.2, max_tokens: 50}\ninput:\n  schema:\n    name: string\n    age?: integer, the age\n    tags(array): string\n    kind(enum): [a, b]\n    addr(object):\n      city: string\n    '*': any\n  default: {name: Ann}\noutput:\n  format: json\n  schema: {ok: boolean}\nmy.ext: 1\n---\n{{role \"system\"}}You are {{name}}.\n{{role \"user\"}}{{#each tags}}{{this}}{{/each}} {{> style}}\n",
 "no-frontmatter.prompt": "just a body {{x}}\n",
 "comment-before.prompt": "# a comment\n\n---\nname: x\n---\nbody\n",
 "bad-yaml.prompt": "---\nmodel: [\n---\nbody\n",
 "unterminated.prompt": "---\nmodel: fast\nbody without end\n",
 "bad-utf8.prompt": b"---\nname: x\n---\n\xff\xfe\n",
 "empty.prompt": "",
 "only-dashes.prompt": "---\n---\n",
 "crlf.prompt": "---\r\nmodel: fast\r\n---\r\nhi {{tone}}\r\n",
 "bad-schema.prompt": "---\ninput:\n  schema:\n    x(frob): string\n---\n{{x}}\n",
 "schema-ref.prompt": "---\ninput:\n  schema: Recipe\noutput:\n  schema: Unknown\n---\n{{x}}\n",
 "history.prompt": "---\nmodel: fast\n---\n{{role \"system\"}}s{{history}}{{role \"model\"}}m{{media url=x}}\n",
}
for k, v in P.items():
    put("promptfile", k, v)

# ---- ledger: "<dir>\n<name>\n<mode>\n<entry json>" ----
put("ledger", 'bad-types', 'dev/\nx@partials\n40000\n{"version":1e99,"blob":5}')
put("ledger", 'dotdot-schema1', 'dev/\n..\n100644\n{"schema_version":1,"prompt":"x","version":1,"blob":"89c5304aa1dd1624dd3b0b802e273b3786148f8d","model":"m"}')
put("ledger", 'evil-partial', 'dev/x@partials/\n_s.prompt\n120000\n{"version":1,"blob":"89c5304aa1dd1624dd3b0b802e273b3786148f8d","resolved_model":{},"partials":[{"name":"../x","file":"../_x.prompt","blob":"625102e1f19b4ea4799b0db5a0676c0a3efbd72f"}]}')
put("ledger", 'schema2', 'dev/\nx.json\n100644\n{"schema_version":2,"prompt":"x","version":1,"blob":"89c5304aa1dd1624dd3b0b802e273b3786148f8d","source_commit":null,"model":"m","model_alias":"fast","resolved_model":{"alias":"fast","provider":"openai","type":"openai","id":"m","config":{"max_tokens":3}},"partials":[{"name":"style","file":"_style.prompt","version":2,"blob":"625102e1f19b4ea4799b0db5a0676c0a3efbd72f"}]}')
