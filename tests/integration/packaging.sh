#!/usr/bin/env bash
# packaging.sh — what `make install`, `make deb` and the man pages promise:
#  - `make install DESTDIR=... PREFIX=/usr` puts exactly the expected files,
#    with their modes, this build's binaries, and a unit whose ExecStart names
#    the installed gzcorefs (/usr/local/bin/gzcorefs with the default PREFIX);
#    `make uninstall` with the same variables removes every one of them;
#  - every man page renders with `groff -man -ww` (and `man --warnings`)
#    without a warning, and its .TH carries the version --version prints;
#  - every option, -o option, subcommand and default that `gzcoredump -h` and
#    `gzcorefs -h` print is in the matching man page, so the pages cannot go
#    stale silently;
#  - `systemd-analyze verify` accepts the installed unit (its Documentation=
#    pages found among the installed ones), and the unit's own ExecStartPre,
#    ExecStart and ExecStop lines, pointed at a store and a mount point
#    here, mount read-only with allow_other and unmount, gzcorefs exiting 0;
#  - `make deb` builds a package whose listing holds the binaries, the
#    gzipped man pages and the unit, all root's, nothing in /etc; whose
#    control has the right Package, Version and Architecture, Depends naming
#    the package of every library the binaries need plus fuse3, gdb
#    recommended, no conffile, and maintainer scripts that parse, the
#    prerm aimed at /usr/sbin/gzcoredump (kernel_package.sh runs them for
#    real); whose md5sums hold; and whose gzcoredump runs --version.
# make runs on this variant's build directory ($BUILD) with the variables
# that built it, so nothing is rebuilt; it fails (restoring the stamp) if
# those would change the build's flags.
. "$(dirname "$0")/lib.sh"
for t in make groff dpkg-deb dpkg-shlibdeps readelf ldd; do need "$t"; done
[ -x "$GZCOREDUMP" ] && [ -x "$GZCOREFS" ] || fail "$GZCOREDUMP and $GZCOREFS are not built"

use_make
git_before=$(git -C "$TOP" status --porcelain 2>/dev/null)

version=$("$GZCOREDUMP" --version) || fail "gzcoredump --version"
version=${version#gzcoredump }
[[ $("$GZCOREFS" --version) == "gzcorefs $version "* ]] || fail "gzcorefs -V is not version $version"
arch=$(dpkg --print-architecture) || fail "dpkg --print-architecture"

# --- make install / uninstall ------------------------------------------------
root=$TMP/root
mk install DESTDIR="$root" PREFIX=/usr >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make install"; }
want='644 usr/lib/systemd/system/gzcorefs.service
644 usr/share/doc/gzcore/FORMAT.md
644 usr/share/doc/gzcore/HANDLER.md
644 usr/share/doc/gzcore/README.md
644 usr/share/doc/gzcore/examples/gzcoredump.conf
644 usr/share/man/man1/gzcorefs.1
644 usr/share/man/man5/gzcoredump.conf.5
644 usr/share/man/man8/gzcoredump.8
755 usr/bin/gzcorefs
755 usr/sbin/gzcoredump'
got=$(cd "$root" && find . ! -type d -printf '%m %P\n' | LC_ALL=C sort)
[ "$got" = "$want" ] || fail "make install put other files: $(diff <(echo "$want") <(echo "$got"))"
cmp -s "$root/usr/sbin/gzcoredump" "$GZCOREDUMP" && cmp -s "$root/usr/bin/gzcorefs" "$GZCOREFS" ||
	fail "the installed binaries are not $BUILD's"
for m in "$TOP"/docs/man/*.[0-9]; do
	cmp -s "$m" "$root/usr/share/man/man${m##*.}/$(basename "$m")" || fail "$m is not installed as it is"
done
unit=$root/usr/lib/systemd/system/gzcorefs.service
grep -qx 'ExecStart=/usr/bin/gzcorefs /var/core /mnt/cores -f -o allow_other' "$unit" ||
	fail "the installed unit's ExecStart: $(grep ExecStart= "$unit")"
ok "make install PREFIX=/usr puts exactly the $(wc -l <<<"$want") expected files"

root2=$TMP/root2
mk install DESTDIR="$root2" >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make install (default PREFIX)"; }
grep -qx 'ExecStart=/usr/local/bin/gzcorefs /var/core /mnt/cores -f -o allow_other' \
	"$root2/usr/local/lib/systemd/system/gzcorefs.service" || fail "with PREFIX=/usr/local the unit does not run /usr/local/bin/gzcorefs"
[ -x "$root2/usr/local/sbin/gzcoredump" ] && [ -f "$root2/usr/local/share/man/man8/gzcoredump.8" ] ||
	fail "the default PREFIX is not /usr/local"
mk uninstall DESTDIR="$root2" >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make uninstall"; }
left=$(cd "$root2" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall (default PREFIX) left: $left"
ok "with the default PREFIX, the unit runs /usr/local/bin/gzcorefs; uninstall removes all"

# --- man pages -----------------------------------------------------------------
render() { groff -man -Tascii -P-cbou -rLL=10000n "$1" 2>&1; }
for m in "$TOP"/docs/man/*.[0-9]; do
	w=$(groff -man -ww -z "$m" 2>&1)
	[ -z "$w" ] || fail "groff warns about $(basename "$m"): $w"
	if command -v man >/dev/null; then
		w=$(MANWIDTH=80 man --warnings -E ascii -l "$m" 2>&1 >/dev/null)
		[ -z "$w" ] || fail "man --warnings warns about $(basename "$m"): $w"
	fi
	th=$(grep -m1 '^\.TH ' "$m")
	sec=${m##*.}
	[[ $th == ".TH "*" $sec "*"\"gzcore $version\""* ]] || fail "$(basename "$m"): .TH is not section $sec of gzcore $version: $th"
	for s in NAME SYNOPSIS DESCRIPTION FILES EXAMPLES 'SEE ALSO'; do
		grep -q "^\.SH \"\?$s\"\?$" "$m" || fail "$(basename "$m") has no $s section"
	done
	[ "$(basename "$m")" = gzcoredump.conf.5 ] || grep -q '^\.SH "\?EXIT STATUS"\?$' "$m" || fail "$(basename "$m") has no EXIT STATUS"
done
ok "every man page renders without a warning, with version $version"

# Options from -h: the tokens on its usage and option lines (those starting
# with the program's name, "Usage:" or an option), each with no letter,
# digit or '-' before it; the names of -o options; subcommands; defaults.
# Each must be a word of the rendered page.
in_page() { # TEXT WORD
	grep -qE -- "(^|[^A-Za-z0-9_-])$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$2")([^A-Za-z0-9_-]|$)" <<<"$1"
}
check_help() { # PROGRAM PAGE HELP
	local prog=$1 page=$2 help=$3 text opts words w missing=()
	text=$(render "$page")
	opts=$(grep -E "^ *($prog|Usage:|-)" <<<"$help")
	words=$( { grep -oE -- '(^|[^A-Za-z0-9_-])--?[A-Za-z0-9][A-Za-z0-9-]*' <<<"$opts" | sed 's/^[^-]*//'
		  grep -oE -- '-o +(\[no\])?[a-z_]+' <<<"$opts" | sed -E 's/^-o +(\[no\])?//'
		  grep -oE -- "^ *$prog [a-z]+" <<<"$opts" | awk '{print $2}'
		  grep -oE -- 'default:? [^;),]+' <<<"$help" | sed -E 's/^default:? //'
		} | sort -u)
	[ "$(wc -l <<<"$words")" -ge 10 ] || fail "too few options found in $prog -h: $words"
	while IFS= read -r w; do
		in_page "$text" "$w" || missing+=("$w")
	done <<<"$words"
	[ ${#missing[@]} = 0 ] || fail "$(basename "$page") lacks what $prog -h prints: ${missing[*]}"
	ok "$(basename "$page") has all $(wc -l <<<"$words") options, subcommands and defaults $prog -h prints"
}
check_help gzcoredump "$TOP/docs/man/gzcoredump.8" "$("$GZCOREDUMP" -h)"
check_help gzcorefs "$TOP/docs/man/gzcorefs.1" "$("$GZCOREFS" -h)"

# --- the systemd unit ------------------------------------------------------------
unit_line() { sed -n "s/^$1=//p" "$2"; }
[ "$(unit_line Type "$unit")" = exec ] || fail "the unit is not Type=exec (gzcorefs has no sd_notify)"
# ExecStartPost holds the start until the mount is there: run it (systemd's
# $$ is a $) against a real mount made in the background
post=$(unit_line ExecStartPost "$unit")
[[ $post == "/bin/sh -c '"*"mountpoint -q /mnt/cores"*"'" ]] || fail "ExecStartPost does not wait for the mount: $post"
post=${post#/bin/sh -c \'}
post=${post%\'}
post=${post//\$\$/\$}
if [ -e /dev/fuse ]; then
	mkdir -p "$TMP/ustore" "$TMP/umnt"
	chmod 700 "$TMP/ustore"
	at_exit "fusermount3 -u -z '$TMP/umnt' 2>/dev/null"
	(sleep 0.5; exec "$GZCOREFS" "$TMP/ustore" "$TMP/umnt") &
	/bin/sh -c "${post//\/mnt\/cores/$TMP/umnt}" || fail "ExecStartPost's wait failed: $post"
	mountpoint -q "$TMP/umnt" || fail "ExecStartPost returned before the mount was there"
	fusermount3 -u "$TMP/umnt" || fail "cannot unmount"
fi
grep -qx 'RequiresMountsFor=/var/core' "$unit" || fail "the unit lacks RequiresMountsFor=/var/core"
grep -qx 'ExecStop=/bin/fusermount3 -u /mnt/cores' "$unit" || fail "the unit does not unmount with fusermount3 -u"
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP part: systemd-analyze is not installed (Debian: systemd)"
else
	mkdir -p "$TMP/probe" "$TMP/unit"
	printf '[Unit]\nDescription=probe\n[Service]\nExecStart=/bin/true\n' >"$TMP/probe/probe.service"
	if ! out=$(systemd-analyze verify "$TMP/probe/probe.service" 2>&1) || [ -n "$out" ]; then
		echo "SKIP part: systemd-analyze verify cannot run here: $out"
	else
		sed "s|^ExecStart=/usr/bin/gzcorefs|ExecStart=$root/usr/bin/gzcorefs|" "$unit" >"$TMP/unit/gzcorefs.service"
		out=$(MANPATH=$root/usr/share/man systemd-analyze verify "$TMP/unit/gzcorefs.service" 2>&1); rc=$?
		# warnings about other units of this machine are not ours
		[ $rc = 0 ] && ! grep -q gzcorefs <<<"$out" || fail "systemd-analyze verify (rc $rc): $out"
		ok "systemd-analyze verify accepts the unit"
	fi
fi

# The unit's commands, as systemd would run them, on a store and mount point here.
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
	echo "SKIP part: running the unit's commands needs root and /dev/fuse"
else
	st=$TMP/store/var/core mnt=$TMP/mnt/cores
	mkdir -p "$TMP/store/var"
	here() { sed -e "s|/var/core|$st|g" -e "s|/mnt/cores|$mnt|g" -e "s|/usr/bin/gzcorefs|$root/usr/bin/gzcorefs|"; }
	while IFS= read -r l; do
		timeout 20 bash -c "$l" || fail "ExecStartPre=$l"
	done < <(unit_line ExecStartPre "$unit" | here)
	[ "$(stat -c '%a %u' "$st")" = "700 0" ] || fail "ExecStartPre made the store $(stat -c '%a %u' "$st"), not 700 root's"
	[ -d "$mnt" ] || fail "ExecStartPre did not make the mount point"
	read -ra cmd <<<"$(unit_line ExecStart "$unit" | here)"
	"${cmd[@]}" >"$TMP/unit.log" 2>&1 &
	pid=$!
	at_exit "fusermount3 -u -z '$mnt' 2>/dev/null; kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for _ in $(seq 1 200); do
		grep -qs " $mnt fuse.gzcorefs " /proc/mounts && break
		kill -0 $pid 2>/dev/null || { cat "$TMP/unit.log"; fail "the unit's ExecStart exited"; }
		sleep 0.05
	done
	opts=$(awk -v m="$mnt" '$2 == m && $3 == "fuse.gzcorefs" {print $4}' /proc/mounts)
	[[ ,$opts, == *,ro,* && $opts == *allow_other* && $opts == *default_permissions* ]] ||
		fail "the unit mounts with '$opts', not ro,allow_other,default_permissions"
	# as systemd runs them, $MAINPID set; this shell reaps gzcorefs meanwhile, as systemd does
	export MAINPID=$pid
	while IFS= read -r l; do
		timeout 20 bash -c "$l" || fail "ExecStop=$l"
	done < <(unit_line ExecStop "$unit" | here)
	# then systemd sends SIGTERM to what is left (gzcorefs exits 0 on it too)
	kill -TERM $pid 2>/dev/null && echo "gzcorefs still ran after the unit's ExecStop lines"
	wait $pid; rc=$?
	[ $rc = 0 ] || { cat "$TMP/unit.log"; fail "gzcorefs exited $rc after ExecStop"; }
	! grep -qs " $mnt " /proc/mounts || fail "$mnt is still mounted after ExecStop"
	ok "the unit's commands mount ro,allow_other and unmount, gzcorefs exiting 0"
fi

mk uninstall DESTDIR="$root" PREFIX=/usr >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make uninstall"; }
left=$(cd "$root" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
ok "make uninstall PREFIX=/usr removes every file make install put"

# --- make deb ------------------------------------------------------------------------
deb=$BUILD/gzcore_${version}_$arch.deb
rm -f "$deb"
mk deb >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make deb"; }
[ -f "$deb" ] || fail "make deb did not make $deb"
list=$(dpkg-deb -c "$deb") || fail "dpkg-deb -c"
for f in usr/sbin/gzcoredump usr/bin/gzcorefs usr/share/man/man8/gzcoredump.8.gz usr/share/man/man1/gzcorefs.1.gz \
	usr/share/man/man5/gzcoredump.conf.5.gz usr/lib/systemd/system/gzcorefs.service \
	usr/share/doc/gzcore/examples/gzcoredump.conf usr/share/doc/gzcore/copyright \
	usr/share/doc/gzcore/changelog.Debian.gz; do
	grep -q " \./$f$" <<<"$list" || fail "the package lacks /$f: $list"
done
! grep -v ' root/root ' <<<"$list" | grep -q . || fail "files in the package not root's: $list"
! grep -q ' \./etc/' <<<"$list" || fail "the package installs into /etc: $list"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = gzcore ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] ||
	fail "control: Package $(field Package), Version $(field Version), Architecture $(field Architecture)"
depends=$(field Depends) recommends=$(field Recommends)
# (a package name is matched as text: libstdc++6 has regex characters)
has_dep() { tr ',' '\n' <<<"$2" | sed 's/^ *//; s/ .*//' | grep -qxF "$1"; }
has_dep fuse3 "$depends" || fail "Depends lacks fuse3: $depends"
has_dep gdb "$recommends" || fail "Recommends lacks gdb: $recommends"
for b in "$GZCOREDUMP" "$GZCOREFS"; do
	for so in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		path=$(ldd "$b" | awk -v so="$so" '$1 == so {print $3}')
		[ -n "$path" ] || fail "ldd does not find $so of $b"
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null)
		pkg=${pkg%%:*}
		[ -n "$pkg" ] || fail "no package holds $path ($so of $b)"
		has_dep "$pkg" "$depends" || fail "Depends lacks $pkg, which has $so of $(basename "$b"): $depends"
	done
done
ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | sed 's|^\./||' | grep . | LC_ALL=C sort | tr '\n' ' ')
[ "$ctrl" = "control md5sums postinst postrm prerm " ] ||
	fail "the package's control archive holds $ctrl(control, md5sums and the three scripts wanted, no conffiles)"
for s in postinst postrm prerm; do
	dpkg-deb --ctrl-tarfile "$deb" | tar -tv "./$s" | grep -q '^-rwxr-xr-x root/root ' || fail "the package's $s is not root's 0755"
	dpkg-deb -I "$deb" "$s" | sh -n || fail "the package's $s does not parse"
done
dpkg-deb -I "$deb" prerm | grep -q '^gzcoredump=/usr/sbin/gzcoredump$' || fail "the prerm does not name /usr/sbin/gzcoredump"
dpkg-deb -x "$deb" "$TMP/x" || fail "dpkg-deb -x"
(cd "$TMP/x" && dpkg-deb -I "$deb" md5sums | md5sum -c --quiet) ||
	fail "the package's md5sums do not hold"
[ "$("$TMP/x/usr/sbin/gzcoredump" --version)" = "gzcoredump $version" ] || fail "the packaged gzcoredump --version"
"$TMP/x/usr/bin/gzcorefs" -V >/dev/null || fail "the packaged gzcorefs -V"
cmp -s "$TMP/x/usr/share/doc/gzcore/copyright" "$TOP/packaging/deb/copyright" || fail "the package's copyright file differs"
zcat "$TMP/x/usr/share/doc/gzcore/changelog.Debian.gz" > "$TMP/changelog" || fail "changelog.Debian.gz is no gzip file"
cl=$(dpkg-parsechangelog -l "$TMP/changelog" 2>&1) || fail "dpkg-parsechangelog refuses the package's changelog: $cl"
grep -qx "Version: $version" <<<"$cl" && grep -qx "Maintainer: $(field Maintainer)" <<<"$cl" ||
	fail "the changelog's version or maintainer is not the package's: $cl"
for m in "$TOP"/docs/man/*.[0-9]; do
	zcat "$TMP/x/usr/share/man/man${m##*.}/$(basename "$m").gz" | cmp -s - "$m" || fail "the package's $(basename "$m") differs"
done
grep -qx 'ExecStart=/usr/bin/gzcorefs /var/core /mnt/cores -f -o allow_other' "$TMP/x/usr/lib/systemd/system/gzcorefs.service" ||
	fail "the package's unit does not run /usr/bin/gzcorefs"
ok "make deb: $(basename "$deb"), Depends: $depends"

[ "$(git -C "$TOP" status --porcelain 2>/dev/null)" = "$git_before" ] || fail "the tests changed the source tree: $(git -C "$TOP" status --porcelain)"
cmp -s "$TMP/flags" "$_stamp" || fail "$_stamp changed"
ok "the source tree and $BUILD's flags are as they were"
