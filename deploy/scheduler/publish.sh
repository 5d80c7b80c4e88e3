#!/usr/bin/env bash
# publish.sh RUN_DIR DATE: publish RUN_DIR/daily/DATE (its student and its evaluation, with the gate's verdict).
#
# Copies the day to RUN_DIR/releases/DATE-<time>, then points RUN_DIR/published at that copy with one rename of a
# symbolic link, so a reader (a serving job loading RUN_DIR/published/student) sees the old release or the new one,
# never a mix; and a later rerun of DATE (which replaces daily/DATE) cannot change what is published. Keeps the
# three newest releases. Called by daily.sh and by the Airflow DAG only after evaluate's gate passed. Needs a POSIX
# file system (local disk, NFS); on HDFS or an object store copy daily/DATE/student to the serving location instead.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 RUN_DIR DATE" >&2; exit 2; }
run_dir=$1
date=$2
day="$run_dir/daily/$date"
[[ -f "$day/student/_SUCCESS" && -f "$day/evaluation/_SUCCESS" ]] \
  || { echo "publish: $day has no committed student and evaluation; nothing published" >&2; exit 2; }
release="releases/$date-$(date -u +%Y%m%dT%H%M%S)-$$"
mkdir -p "$run_dir/releases"
cp -a "$day" "$run_dir/$release.tmp"
mv "$run_dir/$release.tmp" "$run_dir/$release"
ln -sfn "$release" "$run_dir/.published.tmp-$$"
mv -T "$run_dir/.published.tmp-$$" "$run_dir/published"
# Older releases, except the three newest (names sort by date, then time).
find "$run_dir/releases" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp' | sort | head -n -3 | xargs -r rm -rf
echo "publish: $run_dir/published -> $release" >&2
