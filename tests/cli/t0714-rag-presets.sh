#!/bin/sh
# RAG presets: context-faithfulness and context-recall are judges with a
# rubric shipped with pops that read the case's `context`, against
# tests/fakellm's judge ("[[fail:MODEL]]" anywhere in what the judge is
# sent fails that judge, "[[score=N]]" answers score N).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

rag_project() {
	fake_project ja=judge-a &&
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\n{{q}}\n" >prompts/rag.prompt &&
	cat >datasets/rag.jsonl <<-\EOT &&
	{"id":"grounded","vars":{"q":"capital of France?","context":"Paris is the capital of France."},"expected":"Paris"}
	{"id":"unsupported","vars":{"q":"capital of Spain?","context":"Madrid is big. [[fail:judge-a]]"},"expected":"Madrid"}
	{"id":"no-context","vars":{"q":"capital of Italy?"},"expected":"Rome"}
	{"id":"no-expected","vars":{"q":"capital of Peru?","context":"Lima is the capital of Peru."}}
	EOT
	git add -A && git commit -q -m "rag project"
}

# entry FILE ID N: pass, error and reason of assertion N of case ID
entry() {
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["cases"] if c["id"]==sys.argv[2]][0]
a=c["asserts"][int(sys.argv[3])]
print(a["type"], a["pass"], a.get("error", False), "context" in a, "rubric" in a)
print("reason", a.get("reason", ""))' "$@"
}

test_expect_success 'context-faithfulness: the context reaches the judge; a case without one is an error' '
	start_fakellm &&
	rag_project &&
	cat >evals/rag.yaml <<-\EOT &&
	prompt: rag
	dataset: datasets/rag.jsonl
	threshold: 0
	max_error_rate: 1
	assert:
	  - { type: context-faithfulness, model: ja }
	EOT
	pops eval run evals/rag.yaml --no-store --json r.json >out &&
	entry r.json grounded 0 >e &&
	grep -q "^context-faithfulness True False False False$" e &&
	entry r.json unsupported 0 >e &&
	grep -q "^context-faithfulness False False False False$" e &&
	entry r.json no-context 0 >e &&
	grep -q "^context-faithfulness False True False False$" e &&
	grep -q "^reason evals/rag.yaml:6: context-faithfulness grades against the case variable .context. (the retrieved text): case .no-context. has none; add .context. to its dataset row$" e &&
	entry r.json no-expected 0 >e &&
	grep -q "^context-faithfulness True False" e &&
	python3 -c "import json; s=json.load(open(\"r.json\"))[\"summary\"][0]; assert (s[\"passed\"], s[\"failed\"], s[\"errors\"]) == (2, 1, 1), s"
'

test_expect_success 'context-recall: needs expected too; a rubric: and a prompt: replace the shipped ones' '
	start_fakellm &&
	rag_project &&
	cat >evals/rag.yaml <<-\EOT &&
	prompt: rag
	dataset: datasets/rag.jsonl
	threshold: 0
	max_error_rate: 1
	assert:
	  - { type: context-recall, model: ja }
	  - { type: context-recall, model: ja, rubric: "strict [[fail:judge-a]]" }
	  - { type: context-faithfulness, model: ja, prompt: prompts/myjudge.prompt }
	EOT
	printf -- "---\nname: myjudge\n---\nRubric {{rubric}}\nContext {{context}}\n{{#if expected}}[[score=1]]{{/if}}\n{{format}}\n" >prompts/myjudge.prompt &&
	pops eval run evals/rag.yaml --no-store --json r.json >out &&
	entry r.json grounded 0 >e &&
	grep -q "^context-recall True False" e &&
	entry r.json no-expected 0 >e &&
	grep -q "^context-recall False True" e &&
	grep -q "^reason evals/rag.yaml:6: context-recall compares the context with the case.s expected answer: case .no-expected. has no .expected.$" e &&
	entry r.json grounded 1 >e &&
	grep -q "^context-recall False False" e &&
	entry r.json grounded 2 >e &&
	grep -q "^context-faithfulness False False" e &&
	entry r.json no-expected 2 >e &&
	grep -q "^context-faithfulness True False" e
'

# blob FILE: the judge_prompt_blob of the plan in FILE
blob() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plans"][0]["evidence"]["judge_prompt_blob"])' "$1"
}

test_expect_success 'the shipped rubric is fingerprinted: a rubric: or another preset changes the blob' '
	start_fakellm &&
	rag_project &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: context-faithfulness, model: ja }\n" >evals/a.yaml &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: context-recall, model: ja }\n" >evals/b.yaml &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: context-recall, model: ja, rubric: other }\n" >evals/c.yaml &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: judge, model: ja, rubric: other }\n" >evals/d.yaml &&
	for s in a b c d; do pops eval run --dry-run --json $s.json evals/$s.yaml >/dev/null && blob $s.json >$s.blob || return 1; done &&
	! cmp -s a.blob b.blob && ! cmp -s b.blob c.blob && ! cmp -s c.blob d.blob &&
	pops eval run --dry-run --json a2.json evals/a.yaml >/dev/null &&
	blob a2.json | cmp -s - a.blob
'

test_expect_success 'bad preset keys are refused with file:line, exit 2' '
	start_fakellm &&
	rag_project &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: context-faithfulness }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: .context-faithfulness. needs .model." err &&
	printf "prompt: rag\ndataset: datasets/rag.jsonl\nassert:\n  - { type: context-recall, model: ja, scope: conversation }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: .scope. is for .judge. only" err
'

test_done
