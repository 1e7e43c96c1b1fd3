/// <reference types="node" />
/**
 * A build step: beside each text file of the bundle, `NAME.br` and `NAME.gz` at the highest
 * levels, which the server sends by Accept-Encoding (glimpse/web_client.py). Node's zlib does both.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin } from "vite";

const TEXT = /\.(html|js|css|svg|json|txt|map)$/;

async function compressTree(folder: string): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((entry) => entry.isFile() && TEXT.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
  await Promise.all(
    files.map(async (file) => {
      const content = await readFile(file);
      const brotli = promisify(brotliCompress)(content, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        },
      });
      const gzipped = promisify(gzip)(content, { level: constants.Z_BEST_COMPRESSION });
      await writeFile(`${file}.br`, await brotli);
      await writeFile(`${file}.gz`, await gzipped);
    }),
  );
}

export function precompress(): Plugin {
  let outDir = "dist";
  return {
    name: "glimpse-precompress",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    async closeBundle() {
      await compressTree(outDir);
    },
  };
}
