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
//   node render.js --sample FILE           variables for FILE: one value per input.schema
//                                          field (fields with a default left out, so the
//                                          default applies), and a string per plain
//                                          {{name}} the schema does not list
//   node render.js --file FILE VARS_JSON   FILE as Genkit renders it from its prompt folder:
//                                          partials from FILE's directory tree, input.default
//                                          beneath VARS_JSON, schema names it cannot resolve
//                                          taken as "any" (pops does the same)
//
// The --sample and --file modes drive tests/cli/t0405-render-corpus.sh, which
// renders every file of ../shared/corpus with both implementations.
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

function loadDotprompt() {
	try {
		return require('dotprompt');
	} catch (e) {
		fail("the dotprompt module is not installed in tests/node/node_modules: run 'make deps' (" +
		     e.message.split('\n')[0] + ')');
	}
}

// A value for a JSON Schema, deterministic so both sides get the same
// input: two items per array (so {{@last}} and separators show), every
// property, optional ones included.
function sampleOf(schema, name) {
	if (!schema || typeof schema !== 'object')
		return 'v-' + name;
	if (Array.isArray(schema.enum) && schema.enum.length)
		return schema.enum[0];
	let type = schema.type;
	if (Array.isArray(type))
		type = type.find((t) => t !== 'null') || 'null';
	if (!type && schema.properties)
		type = 'object';
	switch (type) {
	case 'string': return 'v-' + name;
	case 'integer': return 2;
	case 'number': return 2.5;
	case 'boolean': return true;
	case 'null': return null;
	case 'array': return [sampleOf(schema.items, name + '0'), sampleOf(schema.items, name + '1')];
	case 'object': {
		const o = {};
		for (const [k, v] of Object.entries(schema.properties || {}))
			o[k] = sampleOf(v, k);
		return o;
	}
	default: return 'v-' + name;
	}
}

async function sample(file) {
	const { Dotprompt } = loadDotprompt();
	const dp = new Dotprompt({ schemaResolver: () => ({}) });
	const source = fs.readFileSync(file, 'utf8');
	const parsed = dp.parse(source);
	const meta = await dp.renderMetadata(source);
	const defaults = (parsed.input && parsed.input.default) || {};
	const vars = {};
	const schema = meta.input && meta.input.schema;
	if (schema && schema.properties)
		for (const [k, v] of Object.entries(schema.properties))
			if (!(k in defaults))
				vars[k] = sampleOf(v, k);
	// {{name}} / {{{name}}} with a plain identifier, not a helper or @data
	const re = /{{{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*}?}}/g;
	const helpers = new Set(['history', 'section', 'media', 'role', 'else', 'this', 'json']);
	for (const m of parsed.template.matchAll(re))
		if (!helpers.has(m[1]) && !(m[1] in vars) && !(m[1] in defaults))
			vars[m[1]] = 'v-' + m[1];
	process.stdout.write(JSON.stringify(vars) + '\n');
}

async function renderFile(file, vars) {
	const { Dotprompt } = loadDotprompt();
	const dp = new Dotprompt({ schemaResolver: () => ({}) });
	for (const [name, source] of partials(path.dirname(file), '', []))
		dp.definePartial(name, source);
	const source = fs.readFileSync(file, 'utf8');
	const parsed = dp.parse(source);
	const rendered = await dp.render(source, { input: JSON.parse(vars) },
	                                 { input: { default: (parsed.input && parsed.input.default) || {} } });
	print(rendered.messages);
}

async function main(argv) {
	if (argv[0] === '--normalize' && argv.length === 2) {
		print(JSON.parse(fs.readFileSync(argv[1], 'utf8')).messages);
		return;
	}
	if (argv[0] === '--sample' && argv.length === 2)
		return sample(argv[1]);
	if (argv[0] === '--file' && argv.length === 3)
		return renderFile(argv[1], argv[2]);
	if (argv.length !== 3)
		fail('usage: render.js BUNDLE FILE VARS_JSON | --normalize POPS_JSON | --sample FILE | ' +
		     '--file FILE VARS_JSON');
	const { Dotprompt } = loadDotprompt();
	const [bundle, file, vars] = argv;
	const dp = new Dotprompt();
	for (const [name, source] of partials(bundle, '', []))
		dp.definePartial(name, source);
	const rendered = await dp.render(fs.readFileSync(path.join(bundle, file), 'utf8'),
	                                 { input: JSON.parse(vars) });
	print(rendered.messages);
}

main(process.argv.slice(2)).catch((e) => fail(e && e.message ? e.message : String(e)));
