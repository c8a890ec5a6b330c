#!/bin/sh
echo "Hello from koji-ts (hello @VERSION@)"
