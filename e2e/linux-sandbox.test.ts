import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * scripts/linux-sandbox.js: whether `npm start` can launch an unpacked Electron whose Chromium
 * sandbox Ubuntu 23.10+ would block, decided from what it reads in /proc, /etc/apparmor.d and
 * the chrome-sandbox helper beside the binary.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Facts {
  uid: number | null;
  restrictUserns: string | null;
  usernsClone: string | null;
  maxUserNamespaces: string | null;
  binary: string;
  helperPath: string;
  helper: { uid: number; mode: number } | null;
  profiles: string[];
}
const { readSandboxFacts, sandboxBlocked, sandboxAdvice } = (await import(
  pathToFileURL(path.join(root, 'scripts', 'linux-sandbox.js')).href
)) as {
  readSandboxFacts(electronBinary: string): Facts;
  sandboxBlocked(facts: Facts, args: string[]): 'apparmor' | 'kernel' | null;
  sandboxAdvice(reason: 'apparmor' | 'kernel', helperPath: string): string;
};

const binary = '/home/lab/metascope/node_modules/electron/dist/electron';
const helperPath = '/home/lab/metascope/node_modules/electron/dist/chrome-sandbox';
/** Ubuntu 24.04 as installed, with MetaScope unpacked by npm (helper owned by the user, 0755). */
const ubuntu2404: Facts = {
  uid: 1000,
  restrictUserns: '1\n',
  usernsClone: '1\n',
  maxUserNamespaces: '63204\n',
  binary,
  helperPath,
  helper: { uid: 1000, mode: 0o100755 },
  profiles: [
    // Ubuntu ships profiles like this one for other programs.
    'abi <abi/4.0>,\ninclude <tunables/global>\nprofile chrome /opt/google/chrome/chrome flags=(unconfined) {\n  userns,\n}\n',
  ],
};
const profileForThisElectron = `abi <abi/4.0>,
include <tunables/global>

profile metascope-electron ${binary} flags=(unconfined) {
  userns,

  include if exists <local/metascope-electron>
}
`;

describe('sandboxBlocked', () => {
  it('Ubuntu 24.04 with an npm-unpacked Electron: blocked by AppArmor', () => {
    expect(sandboxBlocked(ubuntu2404, [])).toBe('apparmor');
  });

  it('not blocked once the helper is setuid root (root:root 4755)', () => {
    expect(sandboxBlocked({ ...ubuntu2404, helper: { uid: 0, mode: 0o104755 } }, [])).toBeNull();
    // Owned by root but not setuid, or setuid but not root's: still blocked.
    expect(sandboxBlocked({ ...ubuntu2404, helper: { uid: 0, mode: 0o100755 } }, [])).toBe('apparmor');
    expect(sandboxBlocked({ ...ubuntu2404, helper: { uid: 1000, mode: 0o104755 } }, [])).toBe('apparmor');
  });

  it('not blocked by an AppArmor profile that names this Electron and allows it user namespaces', () => {
    expect(sandboxBlocked({ ...ubuntu2404, profiles: [profileForThisElectron] }, [])).toBeNull();
    const noUserns = profileForThisElectron.replace('  userns,\n', '');
    expect(sandboxBlocked({ ...ubuntu2404, profiles: [noUserns] }, [])).toBe('apparmor');
  });

  it('not blocked where AppArmor does not restrict user namespaces (0, or no such setting)', () => {
    expect(sandboxBlocked({ ...ubuntu2404, restrictUserns: '0\n' }, [])).toBeNull();
    expect(sandboxBlocked({ ...ubuntu2404, restrictUserns: null }, [])).toBeNull();
  });

  it('blocked where the kernel forbids unprivileged user namespaces (Debian setting, or none allowed)', () => {
    const debian = { ...ubuntu2404, restrictUserns: null, profiles: [] };
    expect(sandboxBlocked({ ...debian, usernsClone: '0\n' }, [])).toBe('kernel');
    expect(sandboxBlocked({ ...debian, maxUserNamespaces: '0\n' }, [])).toBe('kernel');
    // An AppArmor profile cannot help there; the setuid helper can.
    expect(sandboxBlocked({ ...debian, usernsClone: '0\n', profiles: [profileForThisElectron] }, [])).toBe(
      'kernel',
    );
    expect(
      sandboxBlocked({ ...debian, usernsClone: '0\n', helper: { uid: 0, mode: 0o104755 } }, []),
    ).toBeNull();
  });

  it('not blocked when the sandbox is turned off on purpose, or for root', () => {
    expect(sandboxBlocked(ubuntu2404, ['--no-sandbox'])).toBeNull();
    expect(sandboxBlocked({ ...ubuntu2404, uid: 0 }, [])).toBeNull();
  });

  it('without a helper at all, user namespaces are the only way: blocked', () => {
    expect(sandboxBlocked({ ...ubuntu2404, helper: null }, [])).toBe('apparmor');
  });
});

describe('sandboxAdvice', () => {
  it('is one sentence naming the cause, the command with the real path, and where to read more', () => {
    const advice = sandboxAdvice('apparmor', helperPath);
    expect(advice).toBe(
      `Ubuntu's AppArmor setting kernel.apparmor_restrict_unprivileged_userns=1 blocks the sandbox of an Electron run from a source folder, so the desktop app would stop at once: run \`sudo chown root:root ${helperPath} && sudo chmod 4755 ${helperPath}\` once and \`npm start\` again (README, "Ubuntu 23.10 and later", has other ways, and \`npm run start:web\` works as it is).`,
    );
    expect(advice.split(/\.\s/)).toHaveLength(1);
    expect(sandboxAdvice('kernel', helperPath)).toMatch(/^This Linux does not allow the user namespaces/);
  });
});

describe.runIf(process.platform === 'linux')('readSandboxFacts', () => {
  it('finds the chrome-sandbox helper beside the binary and reads its owner and mode', () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'metascope-sandbox-'));
    try {
      writeFileSync(path.join(dist, 'electron'), '');
      writeFileSync(path.join(dist, 'chrome-sandbox'), '');
      chmodSync(path.join(dist, 'chrome-sandbox'), 0o755);
      const facts = readSandboxFacts(path.join(dist, 'electron'));
      expect(facts.helperPath).toBe(path.join(dist, 'chrome-sandbox'));
      expect(facts.helper).toEqual({ uid: process.getuid!(), mode: 0o100755 });
      expect(facts.uid).toBe(process.getuid!());
      rmSync(path.join(dist, 'chrome-sandbox'));
      expect(readSandboxFacts(path.join(dist, 'electron')).helper).toBeNull();
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe('the Linux installers on Ubuntu 23.10+ (what electron-builder.yml relies on from electron-builder)', () => {
  const require = createRequire(import.meta.url);
  const templates = path.join(
    path.dirname(require.resolve('app-builder-lib/package.json')),
    'templates',
    'linux',
  );
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as {
    productName: string;
    deb: Record<string, unknown>;
  };
  // electron-builder's names for the installed app: /opt/<productName>/<package name in lower case>.
  const installed = `/opt/${config.productName}/metascope`;

  it('the .deb installs an AppArmor profile that lets the installed app sandbox itself', () => {
    // Our config keeps electron-builder's own install script and profile.
    expect(config.deb.afterInstall).toBeUndefined();
    expect(config.deb.appArmorProfile).toBeUndefined();
    expect(readFileSync(path.join(templates, 'after-install.tpl'), 'utf8')).toContain(
      "APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'",
    );
    const profile = readFileSync(path.join(templates, 'apparmor-profile.tpl'), 'utf8')
      .replaceAll('${executable}', 'metascope')
      .replaceAll('${sanitizedProductName}', config.productName);
    const facts = {
      ...ubuntu2404,
      binary: installed,
      helper: { uid: 0, mode: 0o100755 },
      profiles: [profile],
    };
    expect(sandboxBlocked(facts, [])).toBeNull();
    expect(sandboxBlocked({ ...facts, profiles: [] }, [])).toBe('apparmor');
  });

  it("the AppImage's launcher adds --no-sandbox where user namespaces are refused, so it starts (unsandboxed)", () => {
    const { generateAppRunScript } = require('app-builder-lib/out/targets/appimage/appImageUtil.js') as {
      generateAppRunScript(config: Record<string, string>): string;
    };
    const appRun = generateAppRunScript({
      DesktopFileName: 'metascope.desktop',
      ExecutableName: 'metascope',
      ProductName: config.productName,
      ProductFilename: config.productName,
      ResourceName: 'appimagekit-metascope',
    });
    expect(appRun).toContain('! unshare -Ur true 2>/dev/null');
    expect(appRun).toContain('NO_SANDBOX=(--no-sandbox)');
  });
});
