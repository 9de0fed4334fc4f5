import assert from 'node:assert/strict';

interface Machine {
  onPath: boolean;
  tarballNamed: boolean;
  unpacked: boolean;
  packaged: boolean;
  tarballExists: boolean;
}

describe('where the real-Asterisk run gets Asterisk (scripts/asterisk.mjs)', () => {
  let asteriskSource: (machine: Machine) => string;
  let aptCandidate: (policy: string) => string | undefined;
  let describeAsterisk: (found: { binary: string; version: string; source: string }) => string;
  before(async () => {
    // An ES module: loaded with import(), as the CommonJS tests cannot require it statically.
    ({ asteriskSource, aptCandidate, describeAsterisk } =
      await import('../../../scripts/asterisk.mjs'));
  });

  const nothing = {
    onPath: false,
    tarballNamed: false,
    unpacked: false,
    packaged: false,
    tarballExists: false,
  };

  it('takes an asterisk on PATH before anything else', () => {
    assert.equal(
      asteriskSource({ ...nothing, onPath: true, tarballNamed: true, tarballExists: true }),
      'path',
    );
  });

  it('installs the distribution package before it asks for the tarball', () => {
    assert.equal(asteriskSource({ ...nothing, packaged: true, tarballExists: true }), 'package');
  });

  it('keeps an Asterisk an earlier run unpacked rather than installing the package', () => {
    assert.equal(asteriskSource({ ...nothing, unpacked: true, packaged: true }), 'unpacked');
  });

  it('unpacks the tarball where the distribution has no asterisk package (Debian 12)', () => {
    assert.equal(asteriskSource({ ...nothing, tarballExists: true }), 'tarball');
  });

  it('still asks apt for the package when there is no tarball either: its lists may be stale', () => {
    assert.equal(asteriskSource(nothing), 'package');
  });

  it('unpacks a tarball named in CALLWAKE_ASTERISK_TARBALL over the package or an earlier one', () => {
    const named = { ...nothing, tarballNamed: true, unpacked: true, packaged: true };
    assert.equal(asteriskSource({ ...named, tarballExists: true }), 'tarball');
    assert.equal(asteriskSource(named), 'none');
  });

  it("reads apt-cache policy's candidate, none when it says (none) or knows no such package", () => {
    const policy = (candidate: string) =>
      `asterisk:\n  Installed: (none)\n  Candidate: ${candidate}\n  Version table:\n`;
    assert.equal(
      aptCandidate(policy('1:20.6.0~dfsg+~cs6.13.40431414-2build5')),
      '1:20.6.0~dfsg+~cs6.13.40431414-2build5',
    );
    assert.equal(aptCandidate(policy('(none)')), undefined);
    assert.equal(aptCandidate(''), undefined);
  });

  it('says in one line where the Asterisk came from, its version and its binary', () => {
    assert.equal(
      describeAsterisk({
        binary: '/usr/sbin/asterisk',
        version: 'Asterisk 20.6.0~dfsg+~cs6.13.40431414-2build5',
        source: 'system package',
      }),
      'asterisk: system package 20.6.0~dfsg+~cs6.13.40431414-2build5 (/usr/sbin/asterisk)',
    );
  });
});
