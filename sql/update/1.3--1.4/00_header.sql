/*
 * touchpoint 1.3 -> 1.4: the pipeline in stages (issue 12).  Built by the
 * Makefile from the files of sql/update/1.3--1.4/ in name order, one per
 * part of the change; must leave the catalog of a fresh 1.4 install
 * (test/upgrade.sh compares them).
 */
\echo Use "ALTER EXTENSION touchpoint UPDATE TO '1.4'" to load this file. \quit
