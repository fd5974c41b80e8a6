#!/bin/bash
# make release's tarball: the files it promises and nothing else, a
# SHA256SUMS that holds, binaries with no interpreter and no shared library
# that run in an empty root, and hostmond --version naming the version, the
# commit and the build's TLS, SASL mechanisms and codecs.
. "$(dirname "$0")/lib.sh"

(cd "$RELEASE" && sha256sum --quiet -c "$(basename "$TARBALL").sha256") ||
	fail "$TARBALL.sha256 does not match the tarball"
tar -xzf "$TARBALL" -C "$T"
top=$T/hostmon-$VERSION-linux-x86_64
[[ -d $top ]] || fail "the tarball's top directory is not hostmon-$VERSION-linux-x86_64: $(ls "$T")"
want=$( (printf 'sbin/%s\n' $SBIN; printf 'bin/%s\n' $BIN
	printf '%s\n' hostmond.service hostmond.service.d/hostmon-release.conf hostmond.ini hostmon.proto \
		README.md SHA256SUMS) | sort)
expect_eq "the tarball's files" "$want" "$(cd "$top" && find . -type f -printf '%P\n' | sort)"
expect_eq "the files SHA256SUMS lists" "$(grep -vx SHA256SUMS <<<"$want")" \
	"$(awk '{ print $2 }' "$top/SHA256SUMS" | sort)"
(cd "$top" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not hold in the tarball"
for f in hostmond.service hostmond.ini; do
	cmp -s "$top/$f" "$ROOT/packaging/$f" || fail "the tarball's $f differs from packaging/$f"
done
cmp -s "$top/hostmon.proto" "$ROOT/proto/hostmon.proto" || fail "the tarball's .proto differs from proto/"
cmp -s "$top/hostmond.service.d/hostmon-release.conf" "$ROOT/tools/release/hostmond.service.d/hostmon-release.conf" ||
	fail "the tarball's drop-in differs from tools/release/hostmond.service.d/"

# Nothing from the host: each binary runs in a root that holds only itself.
mkdir "$T/empty"
for b in $SBIN $BIN; do
	path=$top/sbin/$b
	[[ -f $path ]] || path=$top/bin/$b
	expect_static "$path"
	cp "$path" "$T/empty/$b"
	rc=0
	chroot "$T/empty" "/$b" --help >"$T/help.out" 2>&1 || rc=$?
	grep -qi usage "$T/help.out" || fail "$b --help in an empty root (exit $rc): $(head -n 3 "$T/help.out")"
	rm "$T/empty/$b"
done

cp "$top/sbin/hostmond" "$T/empty/"
chroot "$T/empty" /hostmond --version >"$T/version" || fail "hostmond --version failed in an empty root"
cat "$T/version"
expect_eq "--version's first line" "hostmond $VERSION" "$(head -n 1 "$T/version")"
commit=$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
expect_eq "--version's commit" "commit: $commit" "$(grep '^commit: ' "$T/version")"
grep -q '^build: static, glibc ' "$T/version" || fail "--version does not say the build is static"
expect_eq "TLS" "tls: OpenSSL" "$(grep '^tls: ' "$T/version")"
# Built without Cyrus SASL (tools/release/static-deps): no GSSAPI, the rest.
expect_eq "SASL mechanisms" "sasl: PLAIN SCRAM-SHA-256 SCRAM-SHA-512 OAUTHBEARER" "$(grep '^sasl: ' "$T/version")"
expect_eq "codecs" "compression: gzip snappy lz4 zstd" "$(grep '^compression: ' "$T/version")"
echo "tarball: $(stat -c %s "$TARBALL") bytes"
