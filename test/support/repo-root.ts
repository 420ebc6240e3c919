import { basename, dirname, join } from 'node:path';

// The repository's root, whether this runs from test/support (jest) or compiled into
// dist/test/support (the bench imports the cluster starters from the build).
const up = join(__dirname, '..', '..');
export const REPO_ROOT = basename(up) === 'dist' ? dirname(up) : up;
