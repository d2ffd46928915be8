#!/usr/bin/env node
// Obfuscated twins for `make eval` (tools/eval.py): one process per preset, many files each.
//
//   node obfuscate.js --describe          JSON {version, presets: {name: options}} on stdout
//   node obfuscate.js PRESET < jobs.json  jobs = [{"input": path, "output": path}, ...]
//
// For each job it writes the obfuscated code to `output` (via a temporary file and a rename)
// and prints one JSON line {"input", "ok": true} or {"input", "ok": false, "error"}. A file the
// obfuscator cannot process never stops the others. Every preset has a fixed seed, so the
// same input, preset and obfuscator version always give the same twin.
'use strict';

const fs = require('fs');
const path = require('path');
const JavaScriptObfuscator = require('javascript-obfuscator');
const { version } = require('javascript-obfuscator/package.json');

const SEED = 20240917;

// Options common to every preset: reproducible output, nothing printed by the library.
const BASE = { seed: SEED, log: false, advertisement: false, target: 'browser' };

const PRESETS = {
  light: {
    compact: true,
    stringArray: true,
    stringArrayThreshold: 1,
    stringArrayEncoding: ['none'],
    stringArrayRotate: false,
    stringArrayShuffle: false,
    stringArrayIndexShift: false,
    stringArrayWrappersCount: 0,
  },
  'strings-base64': {
    compact: true,
    stringArray: true,
    stringArrayThreshold: 1,
    stringArrayEncoding: ['base64'],
    stringArrayRotate: true,
    stringArrayShuffle: true,
    stringArrayIndexShift: true,
  },
  'strings-rc4-wrappers': {
    compact: true,
    stringArray: true,
    stringArrayThreshold: 1,
    stringArrayEncoding: ['rc4'],
    stringArrayRotate: true,
    stringArrayShuffle: true,
    stringArrayIndexShift: true,
    stringArrayWrappersCount: 2,
    stringArrayWrappersType: 'function',
    stringArrayWrappersParametersMaxCount: 4,
    stringArrayWrappersChainedCalls: true,
  },
  'split-unicode': {
    compact: true,
    splitStrings: true,
    splitStringsChunkLength: 4,
    unicodeEscapeSequence: true,
    numbersToExpressions: true,
    transformObjectKeys: true,
    stringArray: true,
    stringArrayThreshold: 1,
    stringArrayEncoding: ['base64'],
  },
  'cff-deadcode': {
    compact: true,
    controlFlowFlattening: true,
    controlFlowFlatteningThreshold: 1,
    deadCodeInjection: true,
    deadCodeInjectionThreshold: 0.4,
    stringArray: true,
    stringArrayThreshold: 0.75,
    stringArrayEncoding: ['base64'],
    transformObjectKeys: true,
    numbersToExpressions: true,
  },
  // The library's 'high-obfuscation' preset (src/options/presets/HighObfuscation.ts, which
  // extends MediumObfuscation.ts, LowObfuscation.ts and Default.ts) spelled out, with
  // debugProtection and disableConsoleOutput off (they only get in a debugger's way) and
  // unicodeEscapeSequence on.
  heavy: {
    compact: true,
    simplify: true,
    selfDefending: true,
    debugProtection: false,
    debugProtectionInterval: 0,
    disableConsoleOutput: false,
    controlFlowFlattening: true,
    controlFlowFlatteningThreshold: 1,
    deadCodeInjection: true,
    deadCodeInjectionThreshold: 1,
    numbersToExpressions: true,
    splitStrings: true,
    splitStringsChunkLength: 5,
    transformObjectKeys: true,
    unicodeEscapeSequence: true,
    identifierNamesGenerator: 'hexadecimal',
    stringArray: true,
    stringArrayThreshold: 1,
    stringArrayEncoding: ['rc4'],
    stringArrayRotate: true,
    stringArrayShuffle: true,
    stringArrayIndexShift: true,
    stringArrayCallsTransform: false,
    stringArrayCallsTransformThreshold: 1,
    stringArrayWrappersCount: 5,
    stringArrayWrappersParametersMaxCount: 5,
    stringArrayWrappersType: 'function',
    stringArrayWrappersChainedCalls: true,
  },
};

function options(name) {
  return { ...BASE, ...PRESETS[name] };
}

function describe() {
  const presets = {};
  for (const name of Object.keys(PRESETS)) presets[name] = options(name);
  process.stdout.write(JSON.stringify({ version, presets }) + '\n');
}

function obfuscateOne(job, opts) {
  try {
    const code = fs.readFileSync(job.input, 'utf8');
    const out = JavaScriptObfuscator.obfuscate(code, opts).getObfuscatedCode();
    fs.mkdirSync(path.dirname(job.output), { recursive: true });
    const tmp = `${job.output}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, out);
    fs.renameSync(tmp, job.output);
    return { input: job.input, ok: true };
  } catch (err) {
    const message = String((err && err.message) || err).split('\n')[0].slice(0, 300);
    return { input: job.input, ok: false, error: message };
  }
}

function main(argv) {
  if (argv[0] === '--describe') return describe();
  const name = argv[0];
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    process.stderr.write(`unknown preset ${JSON.stringify(name)}; ` +
                         `known: ${Object.keys(PRESETS).join(', ')}\n`);
    process.exitCode = 2;
    return undefined;
  }
  const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
  const opts = options(name);
  for (const job of jobs) {
    process.stdout.write(JSON.stringify(obfuscateOne(job, opts)) + '\n');
  }
  return undefined;
}

main(process.argv.slice(2));
