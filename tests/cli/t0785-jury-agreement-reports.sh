#!/bin/sh
# A jury's agreement (Fleiss' kappa over the jury cases) is in every
# report: terminal, Markdown (under the suite's table) and HTML.
# tests/fakellm's judge MODEL fails on "[[fail:MODEL]]".
. "$(dirname "$0")/lib.sh"

jury_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  ja: { provider: fake, id: judge-a }
	  jb: { provider: fake, id: judge-b }
	  jc: { provider: fake, id: judge-c }
	EOT
	printf -- "---\nmodel: fast\n---\n{{text}}\n" >prompts/echo.prompt &&
	# rows (pass, fail): (3,0) (3,0) (0,3) (2,1): P-bar 10/12, Pe 80/144: kappa 0.625
	cat >evals/jury.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: a1, vars: { text: "fine answer" } }
	  - { id: a2, vars: { text: "also fine" } }
	  - { id: f1, vars: { text: "bad [[fail:judge-a]] [[fail:judge-b]] [[fail:judge-c]]" } }
	  - { id: split, vars: { text: "fine answer [[fail:judge-c]]" } }
	assert:
	  - { type: judge, models: [ja, jb, jc], aggregate: majority, rubric: "answers well" }
	EOT
	git add -A && git commit -q -m "jury project"
}

test_expect_success 'kappa and jury cases in the terminal, Markdown and HTML reports' '
	start_fakellm &&
	jury_project &&
	pops eval run evals/jury.yaml --no-store --json r.json --md r.md --html r.html >out &&
	python3 - r.json <<-\EOF &&
	import json, sys
	s = json.load(open(sys.argv[1]))["summary"][0]
	assert s["jury_cases"] == 4 and abs(s["kappa"] - 0.625) < 1e-9, s
	EOF
	grep -q "jury agreement: Fleiss. kappa 0.625 over 4 verdicts" out &&
	grep -q "^Jury agreement on fast: Fleiss. kappa 0.625 over 4 jury cases\.$" r.md &&
	grep -q "jury agreement: Fleiss. kappa 0.625 over 4 jury cases" r.html
'

test_expect_success 'every judge agreeing: kappa undefined, said so; no jury: no line' '
	start_fakellm &&
	jury_project &&
	sed -i "/id: f1/d; /id: split/d" evals/jury.yaml &&
	pops eval run evals/jury.yaml --no-store --md r.md --html r.html >out &&
	grep -q "every judge gave the same verdict on all 2 jury cases (Fleiss. kappa undefined)" r.md &&
	grep -q "every judge gave the same verdict on all 2 jury cases" r.html &&
	sed -i "s/models: \[ja, jb, jc\], aggregate: majority/model: ja/" evals/jury.yaml &&
	pops eval run evals/jury.yaml --no-store --md r.md --html r.html >out &&
	! grep -qi "jury agreement" r.md &&
	! grep -qi "jury agreement" r.html
'

test_done
