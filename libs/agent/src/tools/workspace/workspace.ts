import { Inject, Injectable } from '@nestjs/common';
import { constants, promises as fs } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { ToolError } from '../tool';

const MAX_WALK = 5_000;

// Each agent's files live in <root>/<owner>/<agent>. Every path a tool gets is relative to that
// directory and must stay inside it: absolute paths, `..` and symlinks that lead out are refused,
// and the real path (symlinks resolved) is checked again before any read or write.
@Injectable()
export class Workspace {
  readonly root: string;
  readonly maxBytes: number;

  constructor(@Inject(WIZ_CONFIG) config: WizConfig) {
    this.root = resolve(config.WIZ_WORKSPACE_DIR || join(config.WIZ_DATA_DIR, 'workspaces'));
    this.maxBytes = config.WIZ_WORKSPACE_MAX_FILE_BYTES;
  }

  async dirOf(ownerId: string, agentId: string): Promise<string> {
    const dir = join(this.root, ownerId.replace(/[^A-Za-z0-9_-]/g, '_'), agentId);
    await fs.mkdir(dir, { recursive: true });
    return fs.realpath(dir);
  }

  /** The absolute path of `path` inside `dir`, or a ToolError saying why not. */
  async resolve(dir: string, path: string): Promise<string> {
    if (path.includes('\0')) throw new ToolError('invalid path');
    if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('~')) {
      throw new ToolError(`"${path}" is absolute: paths are relative to your workspace`);
    }
    if (path.split(/[\\/]+/).includes('..'))
      throw new ToolError(`"${path}" goes up with "..": paths must stay in your workspace`);
    const full = resolve(dir, path);
    if (!inside(dir, full)) throw new ToolError(`"${path}" is outside your workspace`);
    // The deepest part that exists, with symlinks resolved, must still be inside; a dangling
    // link on the way is refused too (mkdir would follow it).
    let probe = full;
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        if (!inside(dir, real)) throw new ToolError(`"${path}" leads outside your workspace (symbolic link)`);
        break;
      } catch (e) {
        if (e instanceof ToolError) throw e;
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || probe === dir) throw e;
        if (await isLink(probe)) throw new ToolError(`"${path}" leads through a dangling symbolic link`);
        probe = resolve(probe, '..');
      }
    }
    // A link as the last part is refused even when it leads inside: a write through it would
    // land wherever it points by then.
    if (await isLink(full)) throw new ToolError(`"${path}" is a symbolic link: not followed`);
    return full;
  }

  async read(dir: string, path: string): Promise<string> {
    const full = await this.resolve(dir, path);
    const st = await stat(full, path);
    if (!st.isFile()) throw new ToolError(`"${path}" is not a file`);
    if (st.size > this.maxBytes)
      throw new ToolError(`"${path}" is ${st.size} bytes: larger than the limit (${this.maxBytes} bytes)`);
    return fs.readFile(full, 'utf8');
  }

  async write(dir: string, path: string, content: string): Promise<number> {
    const bytes = Buffer.byteLength(content);
    if (bytes > this.maxBytes)
      throw new ToolError(`content is ${bytes} bytes: larger than the limit (${this.maxBytes} bytes)`);
    const full = await this.resolve(dir, path);
    await fs.mkdir(resolve(full, '..'), { recursive: true });
    // Re-checked after mkdir: the parent may be a symlink created meanwhile.
    await this.resolve(dir, path);
    // O_NOFOLLOW: a link put there since the check is not followed either.
    await fs.writeFile(full, content, {
      encoding: 'utf8',
      flag: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    });
    return bytes;
  }

  /** Files under `path` (relative to `dir`), symlinks not followed, at most MAX_WALK. */
  async walk(dir: string, path = '.'): Promise<string[]> {
    const start = await this.resolve(dir, path);
    const out: string[] = [];
    const queue = [start];
    while (queue.length && out.length < MAX_WALK) {
      const d = queue.shift()!;
      for (const e of await fs.readdir(d, { withFileTypes: true })) {
        const full = join(d, e.name);
        if (e.isDirectory()) queue.push(full);
        else if (e.isFile()) out.push(relative(dir, full).split(sep).join('/'));
      }
    }
    return out.sort();
  }
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + sep);

async function isLink(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    (st) => st.isSymbolicLink(),
    () => false,
  );
}

async function stat(full: string, path: string) {
  try {
    return await fs.stat(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ToolError(`"${path}" does not exist`);
    throw e;
  }
}
