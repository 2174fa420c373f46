# Sourced by the release tests: ledgers as earlier versions of pops wrote them.

# a schema 1 ledger entry for prompts/echo.prompt at HEAD in dev, as the
# previous pops wrote it: no partials, no resolved model
write_legacy_ledger() {
	pb=$(git rev-parse HEAD:prompts/echo.prompt) &&
	src=$(git rev-parse HEAD) &&
	printf "{\"schema_version\":1,\"prompt\":\"echo\",\"version\":1,\"blob\":\"%s\",\"source_commit\":\"%s\",\"model\":\"gpt-4o-mini-2024-07-18\",\"model_alias\":\"fast\",\"evidence\":null,\"ledger_reason\":null}\n" "$pb" "$src" >legacy.json &&
	jb=$(git hash-object -w legacy.json) &&
	rm legacy.json &&
	sub=$(printf "100644 blob %s\techo.json\n100644 blob %s\techo.prompt\n" "$jb" "$pb" | git mktree) &&
	top=$(printf "040000 tree %s\tdev\n" "$sub" | git mktree) &&
	c=$(printf "promote echo@1 to dev\n\nPops-Env: dev\nPops-Prompt: echo\nPops-Version: 1\n" | git commit-tree "$top") &&
	git update-ref refs/pops/releases "$c"
}
