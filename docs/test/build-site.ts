import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const docs = fileURLToPath(new URL('..', import.meta.url));
const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/**
 * Builds the site as `npm run docs:build` does (TypeDoc's API pages, then VitePress), but into
 * `outDir`, so a test never touches a build of yours.
 */
export async function buildSite(outDir: string): Promise<void> {
  await run(process.execPath, [join(modules, 'typedoc/bin/typedoc'), '--options', 'typedoc.json'], {
    cwd: docs,
  });
  await run(
    process.execPath,
    [join(modules, 'vitepress/bin/vitepress.js'), 'build', '.', '--outDir', outDir],
    {
      cwd: docs,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** A built site on 127.0.0.1 with a free port: VitePress clean URLs map to their `.html` files. */
export interface ServedSite {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveSite(root: string): Promise<ServedSite> {
  const fileFor = async (pathname: string): Promise<string | undefined> => {
    const path = normalize(join(root, decodeURIComponent(pathname)));
    if (!path.startsWith(root)) return undefined;
    for (const candidate of [path, `${path}.html`, join(path, 'index.html')]) {
      const found = await stat(candidate).catch(() => undefined);
      if (found?.isFile()) return candidate;
    }
    return undefined;
  };
  const server: Server = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    fileFor(pathname).then(
      (file) => {
        if (file === undefined) {
          response.writeHead(404).end('not found');
          return;
        }
        response.writeHead(200, {
          'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
        });
        createReadStream(file).pipe(response);
      },
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
