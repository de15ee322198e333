#!/usr/bin/env bash
# SC2086: unquoted expansion; SC2164: cd without a fallback
target=$1
cd $target
rm -rf $target/*
