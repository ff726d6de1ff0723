// Chromium's sandbox needs unprivileged user namespaces, or else its setuid-root helper
// (chrome-sandbox beside the Electron binary). Ubuntu 23.10+ lets AppArmor refuse those namespaces
// to programs without a profile (kernel.apparmor_restrict_unprivileged_userns=1), and an Electron
// unpacked by npm has neither a profile nor a setuid helper, so it aborts at start
// (electron/electron#41066). `npm start` checks before launching and says what to do.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

const setuid = 0o4000;

function readOrNull(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** AppArmor profiles as loaded at boot: the readable files directly in /etc/apparmor.d. */
function readProfiles(folder) {
  let names;
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .map((name) => path.join(folder, name))
    .filter((file) => {
      try {
        const stat = statSync(file);
        return stat.isFile() && stat.size < 256 * 1024;
      } catch {
        return false;
      }
    })
    .map(readOrNull)
    .filter((text) => text !== null);
}

/** What decides whether Electron's sandbox can start on this Linux, read from the system. */
export function readSandboxFacts(electronBinary) {
  let binary = electronBinary;
  try {
    binary = realpathSync(electronBinary);
  } catch {
    // The check then compares the path as given.
  }
  const helperPath = path.join(path.dirname(binary), 'chrome-sandbox');
  let helper = null;
  try {
    const stat = statSync(helperPath);
    helper = { uid: stat.uid, mode: stat.mode };
  } catch {
    // No helper: only user namespaces can sandbox.
  }
  return {
    uid: process.getuid?.() ?? null,
    restrictUserns: readOrNull('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    usernsClone: readOrNull('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: readOrNull('/proc/sys/user/max_user_namespaces'),
    binary,
    helperPath,
    helper,
    profiles: readProfiles('/etc/apparmor.d'),
  };
}

/** True when an AppArmor profile names this binary and allows it user namespaces. */
function profileAllows(profile, binary) {
  return profile.includes(binary) && /^\s*userns\s*,/m.test(profile);
}

/**
 * Why Electron's sandbox cannot start ('apparmor' or 'kernel'), or null when it can (or is not
 * wanted). `facts` as readSandboxFacts returns them; `args` are those Electron will be given.
 */
export function sandboxBlocked(facts, args) {
  if (args.includes('--no-sandbox')) return null;
  // Root creates namespaces regardless (and Chromium asks root for --no-sandbox itself).
  if (facts.uid === 0) return null;
  const reason =
    facts.restrictUserns?.trim() === '1'
      ? 'apparmor'
      : facts.usernsClone?.trim() === '0' || facts.maxUserNamespaces?.trim() === '0'
        ? 'kernel'
        : null;
  if (!reason) return null;
  if (facts.helper && facts.helper.uid === 0 && (facts.helper.mode & setuid) !== 0) return null;
  if (reason === 'apparmor' && facts.profiles.some((profile) => profileAllows(profile, facts.binary)))
    return null;
  return reason;
}

/** The sentence `npm start` prints instead of launching an Electron that would abort. */
export function sandboxAdvice(reason, helperPath) {
  const cause =
    reason === 'apparmor'
      ? "Ubuntu's AppArmor setting kernel.apparmor_restrict_unprivileged_userns=1 blocks the sandbox of an Electron run from a source folder"
      : "This Linux does not allow the user namespaces that Electron's sandbox needs";
  return `${cause}, so the desktop app would stop at once: run \`sudo chown root:root ${helperPath} && sudo chmod 4755 ${helperPath}\` once and \`npm start\` again (README, "Ubuntu 23.10 and later", has other ways, and \`npm run start:web\` works as it is).`;
}
