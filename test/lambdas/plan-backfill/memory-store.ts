import type { ObjectStore } from '../../../lambdas/shared/ports';

/** An ObjectStore in memory, for cores whose S3 behaviour is not what the test is about. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();

  async getText(bucket: string, key: string): Promise<string | undefined> {
    return this.objects.get(`${bucket}/${key}`);
  }

  async putText(bucket: string, key: string, body: string): Promise<void> {
    this.objects.set(`${bucket}/${key}`, body);
  }

  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  json(bucket: string, key: string): unknown {
    const text = this.objects.get(`${bucket}/${key}`);
    if (text === undefined) throw new Error(`no object s3://${bucket}/${key}; have: ${[...this.objects.keys()].join(', ')}`);
    return JSON.parse(text);
  }
}
