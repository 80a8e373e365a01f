// Runs tuf-js, a TUF client written by others, against a repository: refresh, then the target's
// info, then its download (tuf-js checks length and hashes). Prints one JSON line and exits 0 on
// success, 1 on any refusal or error.
//
//   node fetch.mjs <metadata URL> <targets URL> <root.json> <target name> <work directory>
//
// The work directory gets metadata/ (tuf-js's trusted metadata, starting from root.json) and
// targets/ (the download).
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';

function done(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}

const [metadataUrl, targetsUrl, rootPath, targetName, workDir] = process.argv.slice(2);
if (!workDir) {
  done({ ok: false, error: 'Usage',
    message: 'node fetch.mjs <metadata URL> <targets URL> <root.json> <target name> <work dir>' }, 1);
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
  const path = await updater.downloadTarget(info, join(targetDir, targetName));
  const bytes = readFileSync(path);
  done({
    ok: true,
    path,
    length: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    custom: info.custom ?? null,
  }, 0);
} catch (e) {
  done({ ok: false, error: e?.constructor?.name ?? 'Error', message: String(e?.message ?? e) }, 1);
}
