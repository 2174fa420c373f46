#!/usr/bin/env node
// Renders prompts of a `pops export` bundle with the reference dotprompt
// library, loading the bundle as Genkit's prompt folder loader does:
// every `_name.prompt` file, in any subdirectory, is registered verbatim
// as partial `name`; a prompt file is rendered as it is, with the
// variables as `input`. Prints the messages in one canonical JSON shape,
// so tests/cli/t0635-export-dotprompt.sh can compare them byte for byte
// with what `pops render --json` printed (normalised by the same code).
//
//   node render.js BUNDLE FILE VARS_JSON   FILE relative to BUNDLE, VARS_JSON an object
//   node render.js --normalize POPS_JSON   a file holding `pops render --json` output
//
// Exit 0, or 3 with a message on stderr (module missing, render error).
'use strict';

const fs = require('fs');
const path = require('path');

// {messages:[{role, content:[{text} | {media:{url, contentType}}]}]}, keys
// in a fixed order and nothing else, whichever side produced it
function canonical(messages) {
	return {
		messages: (messages || []).map((m) => ({
			role: m.role,
			content: (m.content || []).map((p) => {
				if (typeof p.text === 'string')
					return { text: p.text };
				if (p.media)
					return { media: { url: p.media.url, contentType: p.media.contentType ?? null } };
				return { other: p };
			}),
		})),
	};
}

function print(messages) {
	process.stdout.write(JSON.stringify(canonical(messages), null, 2) + '\n');
}

function fail(msg) {
	process.stderr.write('error: ' + msg + '\n');
	process.exit(3);
}

// Genkit's loadPromptFolderRecursively: `_x.prompt` anywhere is partial "x"
function partials(dir, sub, out) {
	for (const ent of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
		const rel = sub ? sub + '/' + ent.name : ent.name;
		if (ent.isFile() && ent.name.endsWith('.prompt') && ent.name.startsWith('_'))
			out.push([ent.name.slice(1, -'.prompt'.length), fs.readFileSync(path.join(dir, rel), 'utf8')]);
		else if (ent.isDirectory())
			partials(dir, rel, out);
	}
	return out;
}

async function main(argv) {
	if (argv[0] === '--normalize' && argv.length === 2) {
		print(JSON.parse(fs.readFileSync(argv[1], 'utf8')).messages);
		return;
	}
	if (argv.length !== 3)
		fail('usage: render.js BUNDLE FILE VARS_JSON | render.js --normalize POPS_JSON');
	let Dotprompt;
	try {
		({ Dotprompt } = require('dotprompt'));
	} catch (e) {
		fail("the dotprompt module is not installed in tests/node/node_modules: run 'make deps' (" +
		     e.message.split('\n')[0] + ')');
	}
	const [bundle, file, vars] = argv;
	const dp = new Dotprompt();
	for (const [name, source] of partials(bundle, '', []))
		dp.definePartial(name, source);
	const rendered = await dp.render(fs.readFileSync(path.join(bundle, file), 'utf8'),
	                                 { input: JSON.parse(vars) });
	print(rendered.messages);
}

main(process.argv.slice(2)).catch((e) => fail(e && e.message ? e.message : String(e)));
