#!/usr/bin/env bash
# Installs the front-end packages from the npm registry and copies the files Flowdesk serves into
# web/static/vendor. Nothing is loaded from a CDN at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=web/static/vendor
if [ -f "$vendor/.stamp" ] && [ "$vendor/.stamp" -nt package.json ]; then exit 0; fi
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
rm -rf "$vendor" && mkdir -p "$vendor/bpmn-js" "$vendor/dmn-js" "$vendor/chart.js"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js "$vendor/bpmn-js/"
cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js "$vendor/bpmn-js/"
cp -r node_modules/bpmn-js/dist/assets "$vendor/bpmn-js/assets"
cp node_modules/dmn-js/dist/dmn-modeler.production.min.js "$vendor/dmn-js/"
cp -r node_modules/dmn-js/dist/assets "$vendor/dmn-js/assets"
cp node_modules/chart.js/dist/chart.umd.min.js "$vendor/chart.js/"
touch "$vendor/.stamp"
