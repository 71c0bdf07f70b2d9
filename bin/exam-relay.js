#!/usr/bin/env node
// The package's command. The TypeScript sources are compiled to dist/ by `npm run build`,
// which `npm ci` runs through the `prepare` script.
import { main } from '../dist/cli.js';

main(process.argv.slice(2));
