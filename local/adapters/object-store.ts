/** The `ObjectStore` port over the workspace's `s3/<bucket>/<key>` directories. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore } from '../../core/ports';
import { Workspace } from '../runtime/workspace';

export class DirectoryObjectStore implements ObjectStore {
  constructor(private readonly workspace: Workspace) {}

  async getText(bucket: string, key: string): Promise<string | undefined> {
    const path = this.workspace.s3Path(bucket, key);
    if (!existsSync(path) || statSync(path).isDirectory()) return undefined;
    return readFileSync(path, 'utf8');
  }

  async putText(bucket: string, key: string, body: string): Promise<void> {
    const path = this.workspace.s3Path(bucket, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }

  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    const root = this.workspace.s3Dir(bucket);
    if (!existsSync(root)) return [];
    const keys: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else keys.push(relative(root, path).split(sep).join('/'));
      }
    };
    walk(root);
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }
}
