#!/usr/bin/env bash
# Stands in for spark-submit in the local EMR's own tests (the end-to-end tests use the real one).
# FAKE_STEP picks the behaviour: ok | fail | hang (a child in the group and one in its own session).
echo "fake spark-submit $*"
case "${FAKE_STEP:-ok}" in
  ok)
    echo "stage finished"
    exit 0
    ;;
  fail)
    echo "24/03/10 06:20:01 WARN SomeSparkLogger: noise that is not the reason" >&2
    echo "InvalidLocationsError: --locations-uri /x: location 99 has no timezone" >&2
    exit 1
    ;;
  hang)
    sleep 300 &
    echo "child $!"
    setsid sleep 301 &
    echo "detached $!"
    wait
    ;;
esac
