// Runs tuf-js, a TUF client written by others, against a repository: refresh, then the target's
// info, then its download (tuf-js checks length and hashes). Prints one JSON line and exits 0 on
// success, 1 on any refusal or error.
//
//   node fetch.mjs <metadata URL> <targets URL> <root.json> <target name> <work directory>
//                  [--keep-target]
//
// The work directory gets metadata/ (tuf-js's trusted metadata, starting from root.json) and
// targets/ (the download). Both are kept between runs with the same work directory: a later run
// refreshes from the metadata the last one trusted (root.json is copied in only the first time).
// By default the target is downloaded (and its length and hashes checked) every run; with
// --keep-target, a target already in targets/ whose length and hashes match the trusted targets
// metadata is used as it is (tuf-js's findCachedTarget), as a client polling for updates would:
// then a refresh with nothing new downloads no target.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';

function done(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}

const args = process.argv.slice(2);
const keepTarget = args.includes('--keep-target');
const [metadataUrl, targetsUrl, rootPath, targetName, workDir] =
  args.filter((a) => a !== '--keep-target');
if (!workDir || args.some((a) => a.startsWith('--') && a !== '--keep-target')) {
  done({ ok: false, error: 'Usage', message: 'node fetch.mjs <metadata URL> <targets URL>'
    + ' <root.json> <target name> <work dir> [--keep-target]' }, 1);
}

try {
  const metadataDir = join(workDir, 'metadata');
  const targetDir = join(workDir, 'targets');
  mkdirSync(metadataDir, { recursive: true });
  mkdirSync(targetDir, { recursive: true });
  if (!existsSync(join(metadataDir, 'root.json'))) {
    copyFileSync(rootPath, join(metadataDir, 'root.json'));
  }
  const updater = new Updater({
    metadataBaseUrl: metadataUrl,
    targetBaseUrl: targetsUrl,
    metadataDir,
    targetDir,
    config: { fetchRetry: 0, fetchTimeout: 20000 },
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(targetName);
  if (!info) {
    done({ ok: false, error: 'TargetNotFound', message: `no target ${targetName}` }, 1);
  }
  const cached = keepTarget ? await updater.findCachedTarget(info, join(targetDir, targetName))
    : undefined;
  const path = cached ?? await updater.downloadTarget(info, join(targetDir, targetName));
  const bytes = readFileSync(path);
  done({
    ok: true,
    path,
    cached: cached !== undefined,
    length: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    custom: info.custom ?? null,
  }, 0);
} catch (e) {
  done({ ok: false, error: e?.constructor?.name ?? 'Error', message: String(e?.message ?? e) }, 1);
}
