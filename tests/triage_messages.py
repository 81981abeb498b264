"""The literal error messages of the 2021 guide and of the checked facts, with the page each belongs to.

One catalogue for the triage tests, the triage benchmark and the site tests: a message here must
map to its page and to no other, in both eras of wording (guide-era and current ID3C code).
`variants()` substitutes other barcodes, uuids, set names and numbers so that a pattern that only
matches the guide's example values fails the tests.

Each entry: (message, page relpath under docs/, named groups the line must yield or None).
"""

from __future__ import annotations

import random
import re
import uuid

UNKNOWN_BARCODE = "etl/unknown-barcode.md"
FHIR_SET = "etl/fhir-unexpected-barcode-set.md"
SAMPLE_NOT_FOUND = "etl/sample-not-found.md"
PA_INVALID_SET = "etl/presence-absence-invalid-set.md"
MANIFEST_SET = "etl/manifest-found-in-set.md"
MORE_THAN_ONE = "etl/manifest-more-than-one-sample.md"
REDCAP_DUPLICATE = "etl/redcap-duplicate-record-id.md"
DISCHARGE = "etl/redcap-discharge-disposition.md"
METABASE_DOWN = "metabase/metabase-down.md"
PDF_ERRORS = "return-of-results/pdf-generation-errors.md"
DROPPED = "return-of-results/duplicated-barcodes-dropped.md"
MUSHER = "services/husky-musher-workers.md"
LINELIST = "linelists/linelist-failed.md"

MESSAGES: list[tuple[str, str, dict | None]] = [
    # Unknown barcode: the generic warning, then each ETL's variant (facts section 4).
    ("No identifier found for barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping record «42» with unknown sample barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping record «42» with unknown collection barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping record «42» because it has neither a sample barcode nor a collection barcode", UNKNOWN_BARCODE, None),
    ("Skipping results for sample without a known identifier «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping collected specimen with unknown barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping manifest record with unknown sample barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping kit with unknown barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    ("Skipping collected swab sample with unknown barcode «aaaaaaaa»", UNKNOWN_BARCODE, {"barcode": "aaaaaaaa"}),
    # FHIR ETL AssertionError (guide) and its WARNING twin (facts).
    ("Aborting with error: Specimen with unexpected «collections-clia-compliance» barcode «aaaaaaaa»", FHIR_SET,
     {"set_name": "collections-clia-compliance", "barcodes": "aaaaaaaa"}),
    ("Skipping specimen with unexpected «collections-clia-compliance» barcode «aaaaaaaa»", FHIR_SET,
     {"set_name": "collections-clia-compliance", "barcodes": "aaaaaaaa"}),
    # SampleNotFoundError: guide-era P/A text, current P/A text (both collection variants), FHIR
    # with literal braces, kit, and the bare Aborting line of the current P/A ETL.
    ("No sample with identifier «aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa» found", SAMPLE_NOT_FOUND,
     {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("No sample found with identifier «aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa» or collection identifier "
     "«bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb»", SAMPLE_NOT_FOUND, {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("No sample found with identifier «aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa» or collection identifier «None»",
     SAMPLE_NOT_FOUND, {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("No sample with identifier «{specimen_identifier.uuid}» found.", SAMPLE_NOT_FOUND, None),
    ("No sample with «aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa» found", SAMPLE_NOT_FOUND,
     {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("Aborting with error: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", SAMPLE_NOT_FOUND,
     {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("Aborting with error: None", SAMPLE_NOT_FOUND, None),
    # the last line of the traceback (the exception's text is only the identifier, or None)
    ("id3c.cli.command.etl.SampleNotFoundError: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", SAMPLE_NOT_FOUND,
     {"identifier": "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"}),
    ("id3c.cli.command.etl.SampleNotFoundError: None", SAMPLE_NOT_FOUND, None),
    # P/A AssertionError: guide-era and current text (the savepoint line is in CONTEXT below).
    ("Aborting with error: Identifier found in set «samples-haarvi», not «samples»", PA_INVALID_SET,
     {"set_name": "samples-haarvi"}),
    ("Aborting with error: Identifier found in invalid set «samples-haarvi»", PA_INVALID_SET,
     {"set_name": "samples-haarvi"}),
    # Manifest: collection set (guide-era assertion, current warning), sample set (and rdt variant).
    ("AssertionError: Collection identifier found in set «samples», not {'collections-environmental', "
     "'collections-kiosks', 'http://collections-seattleflu.org', 'collections-self-test', "
     "'collections-household-intervention', 'collections-swab&send-asymptomatic', "
     "'collections-kiosks-asymptomatic', 'collections-swab&send', 'collections-household-observation', "
     "'http://collections-fluathome.org'}", MANIFEST_SET, None),
    ("Aborting with error: Collection identifier found in set «collections-haarvi», not "
     "{'collections-household-observation', 'http://collections-seattleflu.org', "
     "'http://collections-fluathome.org', 'collections-household-intervention', 'collections-self-test', "
     "'samples-haarvi', 'collections-environmental', 'collections-kiosks', 'collections-swab&send', "
     "'collections-scan', 'collections-kiosks-asymptomatic', 'collections-swab&send-asymptomatic'}",
     MANIFEST_SET, None),
    ("Aborting with error: Sample identifier found in set «samples-haarvi», not {'samples'}", MANIFEST_SET, None),
    ("Aborting with error: Sample identifier found in set «samples-haarvi»,not {'samples'}", MANIFEST_SET, None),
    ("Skipping record «42» because collection identifier found in set «samples», not    "
     "{'collections-scan', 'collections-kiosks'}", MANIFEST_SET, None),
    # the current code's set of allowed collection sets (36 names, in any order) after a run of spaces
    ("Skipping record «42» because collection identifier found in set «samples», not      {"
     + ", ".join(f"'collections-{n}'" for n in range(36)) + "}", MANIFEST_SET, None),
    # Manifest Exception: more than one sample (the guide's three examples).
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=137871, identifier=None, collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "encounter_id=1754975),    Record(id=138045, identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', "
     "collection_identifier=None, encounter_id=None)]", MORE_THAN_ONE, None),
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=118997, identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "collection_identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', encounter_id=416344), "
     "Record(id=120434, identifier=None, collection_identifier='cccccccc-cccc-cccc-cccc-cccccccccccc', "
     "encounter_id=416344)]", MORE_THAN_ONE, None),
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=122250, identifier=None, collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "encounter_id=418757), Record(id=119610, identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', "
     "collection_identifier='cccccccc-cccc-cccc-cccc-cccccccccccc', encounter_id=420854)]", MORE_THAN_ONE, None),
    # the current manifest ETL's Record lists more fields than the pages show
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=137871, identifier=None, collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "encounter_id=1754975, details={'note': 'x'}, access_role=None, identifiers_changed=False), "
     "Record(id=138045, identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', collection_identifier=None, "
     "encounter_id=None, details=None, access_role='reporter', identifiers_changed=True)]", MORE_THAN_ONE, None),
    # REDCap DET (guide-era only: both were removed from the code).
    ("Found duplicate record id «999» in project 12345.", REDCAP_DUPLICATE, None),
    ("Unknown discharge disposition value «96» for barcode «aaaaaaaa».", DISCHARGE, None),
    ("Unknown discharge disposition value «...» for barcode «...».", DISCHARGE, None),
    ("Duplicate record ids are commonly due to repeating instruments/longitudinal events in REDCap,",
     REDCAP_DUPLICATE, None),
    # Metabase down and the husky-musher alert: the guide quotes no message; these are the
    # example lines the pages show (systemd's journal, Apache's access and error logs, the alert).
    ("metabase.service: Main process exited, code=exited, status=1/FAILURE", METABASE_DOWN, None),
    ("metabase.service: Failed with result 'exit-code'.", METABASE_DOWN, None),
    ('10.0.0.1 - - [29/Nov/2021:20:51:08 -0800] "GET /metabase/ HTTP/1.1" 503 299', METABASE_DOWN, None),
    ('10.0.0.1 - - [29/Nov/2021:20:51:08 -0800] "POST /metabase/api/card/439/query HTTP/1.1" 502 341',
     METABASE_DOWN, None),
    # Apache's error log when it cannot connect to Metabase's port (metabase/create-container: 3000).
    ("[Mon Nov 29 20:51:08.123456 2021] [proxy:error] [pid 1234:tid 140245] (111)Connection refused: "
     "AH00957: HTTP: attempt to connect to 127.0.0.1:3000 (localhost) failed", METABASE_DOWN, None),
    ("uWSGI workers available for husky-musher: 0", MUSHER, None),
    ("read(4,  <unfinished ...>", MUSHER, None),
    # Return of results.
    ("ERROR Errors were encountered (n=1) during processing of: "
     "['s3://dokku-stack-phi/covid19/results-scan-study/AAAAAAAA-2020-01-01-en.pdf']", PDF_ERRORS,
     {"barcode": "AAAAAAAA"}),
    ("Dropped 2 REDCap records with duplicated barcodes: ['AAAAAAAA']", DROPPED, None),
    # Linelists (documentation/Linelists.md).
    ("Exception: Duplicate barcodes detected in project 12345: 'SCAN English'", LINELIST,
     {"project_id": "12345", "project_name": "SCAN English"}),
]

# Context lines: no problem by themselves, they lend their values to the problem beside them.
# Each entry: (line, the pages that declare it, the values it lends).
CONTEXT: list[tuple[str, list[str], dict]] = [
    # logged (DEBUG, syslog only) for every presence/absence document that fails, whatever the error
    ("Rolling back to savepoint presence_absence group 4242", [PA_INVALID_SET, SAMPLE_NOT_FOUND],
     {"presence_absence_id": "4242"}),
]

# Lines from other programs (and ID3C lines that are not problems): they map to nothing.
UNRELATED: list[str] = [
    "Nov 29 20:51:01 backoffice CRON[12345]: (id3c) CMD (envdir /opt/backoffice/id3c-production/env.d/ id3c etl presence-absence --commit)",
    "Nov 29 20:51:02 backoffice systemd[1]: Started Session 42 of user id3c.",
    "Nov 29 20:51:03 backoffice sshd[2201]: Accepted publickey for admin from 10.0.0.5 port 50122 ssh2",
    "Nov 29 20:51:04 backoffice kernel: [12345.678901] EXT4-fs (xvda1): re-mounted. Opts: (null)",
    "Nov 29 20:51:05 backoffice id3c[4242]: id3c.db.session INFO: Processing presence_absence group 4242",
    "Nov 29 20:51:06 backoffice id3c[4242]: id3c.db.session DEBUG: Savepoint presence_absence group 4242 released",
    "Nov 29 20:51:07 backoffice id3c[4242]: id3c.cli.command.etl.manifest INFO: Upserted sample 137871 with barcodes «aaaaaaaa»",
    "Nov 29 20:51:08 backoffice postgres[999]: LOG:  checkpoint complete: wrote 123 buffers (0.8%)",
    '10.0.0.7 - - [29/Nov/2021:20:51:09 -0800] "GET /metabase/api/health HTTP/1.1" 200 15',
    "Nov 29 20:51:10 backoffice systemd[1]: Starting Daily apt download activities...",
    "Nov 29 20:51:11 backoffice uwsgi[3001]: [pid: 12702|app: 0|req: 1/1] 10.0.0.7 () {40 vars} [Mon Nov 29 20:51:11 2021] GET /musher/ => generated 200 bytes",
    "Nov 29 20:51:12 backoffice id3c[4242]: id3c.cli.command.etl.fhir INFO: Processed specimen «aaaaaaaa» in set «collections-scan»",
    "2021-11-29T20:51:13.123456-08:00 backoffice dockerd[700]: time=\"2021-11-29T20:51:13\" level=info msg=\"Container started\"",
    "Nov 29 20:51:14 backoffice id3c[4242]: id3c.cli.command INFO: Committing all changes",
    # the daily linelist cron job starting is not a failure
    "Nov 29 05:00:01 backoffice CRON[2121]: (ubuntu) CMD (/opt/backoffice/bin/wa-doh-linelists/generate --date 2021-11-28 --output-dir s3://bucket/linelists)",
    # a Metabase question that merely mentions a problem word, from Apache's access log
    '10.0.0.7 - - [29/Nov/2021:20:51:15 -0800] "GET /metabase/question/439-unknown-barcode HTTP/1.1" 200 1234',
    # Apache cannot reach another service (Lab Labels on 3001, not Metabase), the backend-agnostic
    # AH01114 line, and a slow Metabase query timing out (504: slow, not down)
    "[Mon Nov 29 20:51:16.000001 2021] [proxy:error] [pid 801:tid 1402] (111)Connection refused: "
    "AH00957: HTTP: attempt to connect to 127.0.0.1:3001 (localhost) failed",
    "[Mon Nov 29 20:51:16.000002 2021] [proxy_http:error] [pid 801:tid 1402] [client 10.0.0.7:52044] "
    "AH01114: HTTP: failed to make connection to backend: localhost",
    '10.0.0.7 - - [29/Nov/2021:20:51:18 -0800] "POST /metabase/api/card/439/query HTTP/1.1" 504 247',
    '10.0.0.7 - - [29/Nov/2021:20:51:19 -0800] "GET /switchboard/metabase HTTP/1.1" 503 299',
]

# The messages as the pages show them (the guide's and the facts' section 4, with the pages' own
# example values), and alert texts the pages give where there is no log line: (message, page,
# whether an errors pattern must map it). tests/test_site.py checks that the site's search finds
# each on its page and that no other page's pattern maps it, for these and for site_messages().
PAGE_UUID = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
PAGE_MESSAGES: list[tuple[str, str, bool]] = [
    # guide
    ("Aborting with error: Specimen with unexpected «collections-clia-compliance» barcode «aaaaaaaa»",
     "etl/fhir-unexpected-barcode-set.md", True),
    (f"No sample with identifier «{PAGE_UUID}» found", "etl/sample-not-found.md", True),
    ("Aborting with error: Identifier found in set «samples-haarvi», not «samples»",
     "etl/presence-absence-invalid-set.md", True),
    ("Rolling back to savepoint presence_absence group {the group number}", "etl/presence-absence-invalid-set.md", False),
    ("AssertionError: Collection identifier found in set «samples», not {'collections-environmental', "
     "'collections-kiosks', 'http://collections-seattleflu.org', 'collections-self-test', "
     "'collections-household-intervention', 'collections-swab&send-asymptomatic', "
     "'collections-kiosks-asymptomatic', 'collections-swab&send', 'collections-household-observation', "
     "'http://collections-fluathome.org'}", "etl/manifest-found-in-set.md", True),
    ("Aborting with error: Collection identifier found in set «collections-haarvi», not "
     "{'collections-household-observation', 'http://collections-seattleflu.org', "
     "'http://collections-fluathome.org', 'collections-household-intervention', 'collections-self-test', "
     "'samples-haarvi', 'collections-environmental', 'collections-kiosks', 'collections-swab&send', "
     "'collections-scan', 'collections-kiosks-asymptomatic', 'collections-swab&send-asymptomatic'}",
     "etl/manifest-found-in-set.md", True),
    ("Aborting with error: Sample identifier found in set «samples-haarvi», not {'samples'}",
     "etl/manifest-found-in-set.md", True),
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=137871, identifier=None, collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "encounter_id=1754975),    Record(id=138045, identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', "
     "collection_identifier=None, encounter_id=None)]", "etl/manifest-more-than-one-sample.md", True),
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=118997, identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "collection_identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', encounter_id=416344), "
     "Record(id=120434, identifier=None, collection_identifier='cccccccc-cccc-cccc-cccc-cccccccccccc', "
     "encounter_id=416344)]", "etl/manifest-more-than-one-sample.md", True),
    ("Aborting with error: More than one sample matching sample and/or collection barcodes: "
     "[Record(id=122250, identifier=None, collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', "
     "encounter_id=418757), Record(id=119610, identifier='bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', "
     "collection_identifier='cccccccc-cccc-cccc-cccc-cccccccccccc', encounter_id=420854)]",
     "etl/manifest-more-than-one-sample.md", True),
    ("Found duplicate record id «999» in project 12345.\n"
     "Duplicate record ids are commonly due to repeating instruments/longitudinal events in REDCap,\n"
     "which the redcap-det ETL is currently unable to handle.\n"
     "If your REDCap project does not have repeating instruments or longitudinal events,\n"
     "then this may be caused by a bug in REDCap.", "etl/redcap-duplicate-record-id.md", True),
    ("Unknown discharge disposition value «...» for barcode «...».", "etl/redcap-discharge-disposition.md", True),
    ("To determine how long each saved question's cached result should stick around, we take the query's "
     "average execution time and multiply that by whatever you input here. So if a query takes on average "
     "2 minutes to run, and you input 10 for your multiplier, its cache entry will persist for 20 minutes.",
     "metabase/stale-results.md", True),
    ("ERROR Errors were encountered (n=1) during processing of: "
     "['s3://dokku-stack-phi/covid19/results-scan-study/AAAAAAAA-2020-01-01-en.pdf']",
     "return-of-results/pdf-generation-errors.md", True),
    ("Dropped 2 REDCap records with duplicated barcodes: ['AAAAAAAA']",
     "return-of-results/duplicated-barcodes-dropped.md", True),
    ("read(4,  <unfinished ...>", "services/husky-musher-workers.md", True),
    # facts section 4 (current code)
    ("No identifier found for barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping record «42» with unknown sample barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping record «42» with unknown collection barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping record «42» because it has neither a sample barcode nor a collection barcode",
     "etl/unknown-barcode.md", True),
    ("Skipping results for sample without a known identifier «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping collected specimen with unknown barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping manifest record with unknown sample barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping kit with unknown barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    ("Skipping collected swab sample with unknown barcode «aaaaaaab»", "etl/unknown-barcode.md", True),
    (f"No sample found with identifier «{PAGE_UUID}» or collection identifier «None»", "etl/sample-not-found.md", True),
    (f"Aborting with error: {PAGE_UUID}", "etl/sample-not-found.md", True),
    ("Aborting with error: None", "etl/sample-not-found.md", True),
    ("No sample with identifier «{specimen_identifier.uuid}» found.", "etl/sample-not-found.md", True),
    (f"No sample with «{PAGE_UUID}» found", "etl/sample-not-found.md", True),
    ("Identifier found in invalid set «samples-haarvi»", "etl/presence-absence-invalid-set.md", True),
    # a `context:` line, not an error: no errors pattern maps it (tests/test_triage.py covers its context)
    ("Nov 29 20:51:08 backoffice id3c-production[12345] id3c.db.session DEBUG: Rolling back to savepoint "
     "presence_absence group 4242",
     "etl/presence-absence-invalid-set.md", False),
    ("Sample identifier found in set «samples-haarvi», not {'samples'}", "etl/manifest-found-in-set.md", True),
    ("Sample identifier found in set «samples-haarvi»,not {'samples'}", "etl/manifest-found-in-set.md", True),
    ("Skipping record «42» because collection identifier found in set «samples», not  "
     "{'collections-kiosks', 'collections-scan'}", "etl/manifest-found-in-set.md", True),
    ("Specimen with unexpected «collections-clia-compliance» barcode «aaaaaaaa»",
     "etl/fhir-unexpected-barcode-set.md", True),
    ("Skipping specimen with unexpected «collections-clia-compliance» barcode «aaaaaaaa»",
     "etl/fhir-unexpected-barcode-set.md", True),
    ("More than one sample matching sample and/or collection barcodes: [Record(id=1, identifier=None, "
     "collection_identifier='aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', encounter_id=2)]",
     "etl/manifest-more-than-one-sample.md", True),
    ("Unknown discharge disposition value «96» for barcode «aaaaaaaa».", "etl/redcap-discharge-disposition.md", True),
    ("Exception: Duplicate barcodes detected in project 12345: 'SCAN English'", "linelists/linelist-failed.md", True),
    # alert texts where the guide has no log line
    ("/opt/backoffice/bin/wa-doh-linelists/generate", "linelists/linelist-failed.md", True),
    ("metabase.service: Main process exited, code=exited, status=1/FAILURE", "metabase/metabase-down.md", True),
    ("metabase.service: Failed with result 'exit-code'.", "metabase/metabase-down.md", True),
    ('10.0.0.1 - - [29/Nov/2021:20:51:08 -0800] "GET /metabase/ HTTP/1.1" 503 299', "metabase/metabase-down.md", True),
    ("[Mon Nov 29 20:51:08.123456 2021] [proxy:error] [pid 1234:tid 140245] (111)Connection refused: AH00957: "
     "HTTP: attempt to connect to 127.0.0.1:3000 (localhost) failed", "metabase/metabase-down.md", True),
    ("ERROR: canceling statement due to user request", "metabase/slow-queries.md", True),
    ("FATAL: terminating connection due to administrator command", "metabase/slow-queries.md", True),
    ("CACHE TIME-TO-LIVE (TTL) MULTIPLIER", "metabase/stale-results.md", True),
    ('"investigatorId": "BAT-049A"', "results/investigate-plate.md", True),
    ("Plate BAT-049A was swapped: new samples were created and the results reattached to them",
     "results/plate-swapped.md", True),
    ("Sample aaaaaaaa was retroactively failed; the plate was re-pushed with its results marked Fail",
     "results/sample-retroactively-failed.md", True),
    ("Presence Absence Results Exist for a Sample Marked as never-tested", "results/never-tested-results.md", True),
    ("Labels of the wrong collection set were used at the SCAN in-person enrollment event",
     "barcodes/wrong-collection-set.md", True),
    ("Asymptomatic Kiosk collection labels used instead of SCAN STAVE labels", "barcodes/wrong-collection-set.md", True),
    ("sfs-switchboard.service: Failed with result 'exit-code'.", "services/sfs-switchboard.md", True),
    ("scan-switchboard.service: Main process exited, code=exited, status=1/FAILURE", "services/sfs-switchboard.md", True),
    ("uWSGI workers available for husky-musher: 0", "services/husky-musher-workers.md", True),
]


def site_messages() -> list[tuple[str, str, bool]]:
    """Every message of this catalogue once, for the site tests: PAGE_MESSAGES, then MESSAGES
    (mapped) and CONTEXT lines (not mapped by an errors pattern) that PAGE_MESSAGES lacks."""
    seen = {m for m, _, _ in PAGE_MESSAGES}
    out = list(PAGE_MESSAGES)
    for message, page, _ in MESSAGES:
        if message not in seen:
            out.append((message, page, True))
            seen.add(message)
    for line, pages, _ in CONTEXT:
        if line not in seen:
            out.append((line, pages[0], False))
            seen.add(line)
    return out


SET_NAMES = [
    "collections-uw-home", "collections-scan-tiny-swabs", "samples-haarvi", "collections-kiosks",
    "collections-clia-compliance", "collections-seattleflu.org", "kits-fluathome.org", "samples",
]

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_BARCODE = re.compile(r"(?<=«)[0-9a-fA-F]{8}(?=»)|(?<=/)[0-9A-F]{8}(?=-\d{4})|(?<=\[')[0-9A-F]{8}(?=')")
_SET = re.compile(r"(?<=set «|ted «)[^»]+(?=»)")
_NUMBER = re.compile(r"(?<=group )\d+|(?<=record «)\d+|(?<=id «)\d+|(?<=id=)\d+|(?<=project )\d+|(?<=Dropped )\d+|(?<=n=)\d+")


def variants(message: str, rng: random.Random, groups: dict | None = None) -> tuple[str, dict | None]:
    """The message with other uuids, barcodes, set names and numbers; expected groups updated alike."""
    mapping: dict[str, str] = {}

    def swap(kind):
        def replace(m):
            old = m.group(0)
            if old not in mapping:
                if kind == "uuid":
                    new = str(uuid.UUID(int=rng.getrandbits(128)))
                elif kind == "barcode":
                    new = f"{rng.getrandbits(32):08x}"
                    new = new.upper() if old.isupper() else new
                elif kind == "set":
                    new = rng.choice([s for s in SET_NAMES if s != old])
                else:
                    new = str(rng.randint(2, 999999))
                mapping[old] = new
            return mapping[old]
        return replace

    text = _UUID.sub(swap("uuid"), message)
    text = _BARCODE.sub(swap("barcode"), text)
    text = _SET.sub(swap("set"), text)
    text = _NUMBER.sub(swap("number"), text)
    if groups is not None:
        groups = {k: mapping.get(v, v) for k, v in groups.items()}
    return text, groups


# How the real ETLs print a message (id3c.cli's logging): the debug console, the default console,
# syslog as the issue quotes it and as /var/log/syslog holds it. Tracebacks end in a fourth form,
# `<module>.<Exception>: <text>`, which the catalogue holds as messages of their own.
LINE_FORMS = {
    "debug-console": "[2026-12-04 10:24:06] [pid 405] id3c.cli.command.etl.manifest WARNING: {}",
    "console": "[2026-12-04 10:24:07] {}",
    "syslog": "id3c[405] id3c.cli.command.etl.manifest WARNING: {}",
    "var-log-syslog": "Dec  4 10:24:08 backoffice id3c[405]: id3c.cli.command.etl.manifest WARNING: {}",
}


def as_syslog(message: str, pid: int = 4242, when: str = "Nov 29 20:51:08", logger: str = "id3c.cli.command") -> str:
    """The message as an id3c line in /var/log/syslog."""
    return f"{when} backoffice id3c[{pid}]: {logger} ERROR: {message}"

# Every page that a log line can lead to: each must have `errors:` patterns.
PROBLEM_PAGES = [
    UNKNOWN_BARCODE, FHIR_SET, SAMPLE_NOT_FOUND, PA_INVALID_SET, MANIFEST_SET, MORE_THAN_ONE,
    REDCAP_DUPLICATE, DISCHARGE, METABASE_DOWN, PDF_ERRORS, DROPPED, MUSHER, LINELIST,
]

# What an operator types into the site's search box, and the page that must come first.
SEARCHES: list[tuple[str, str]] = [
    ("SampleNotFoundError", SAMPLE_NOT_FOUND),
    ("More than one sample matching", MORE_THAN_ONE),
    ("collections-haarvi", MANIFEST_SET),
    ("uWSGI workers", MUSHER),
    ("Unknown barcode", UNKNOWN_BARCODE),
    ("Specimen with unexpected", FHIR_SET),
    ("Rolling back to savepoint", PA_INVALID_SET),
    ("Found duplicate record id", REDCAP_DUPLICATE),
    ("Unknown discharge disposition", DISCHARGE),
    ("Metabase is down", METABASE_DOWN),
    ("Errors were encountered", PDF_ERRORS),
    ("Dropped REDCap records with duplicated barcodes", DROPPED),
    ("wa-doh-linelists", LINELIST),
    ("No identifier found for barcode", UNKNOWN_BARCODE),
    ("Identifier found in invalid set", PA_INVALID_SET),
    ("Duplicate barcodes detected", LINELIST),
]


def paste(lines: int, seed: int = 405, problem_share: float = 0.2) -> str:
    """A log excerpt of `lines` lines as an operator would paste it: unrelated lines, every
    catalogue message in every LINE_FORMS form with other values, and presence/absence savepoint
    lines of several processes, some beside their error (lending its group) and some alone."""
    rng = random.Random(seed)
    out: list[str] = []
    forms = list(LINE_FORMS.values())
    while len(out) < lines:
        roll = rng.random()
        if roll < problem_share:
            message, _, groups = rng.choice(MESSAGES)
            text, _ = variants(message, rng, groups)
            out.append(rng.choice(forms).format(text))
        elif roll < problem_share + 0.02:
            pid, group = rng.randint(100, 999), rng.randint(1, 99999)
            out.append(f"Dec  4 10:25:{rng.randint(10, 59)} backoffice id3c[{pid}]: id3c.db.session DEBUG: "
                       f"Rolling back to savepoint presence_absence group {group}")
            if rng.random() < 0.7:
                set_name = rng.choice(SET_NAMES)
                out.append(f"Dec  4 10:25:{rng.randint(10, 59)} backoffice id3c[{pid}]: id3c.cli.command ERROR: "
                           f"Aborting with error: Identifier found in invalid set «{set_name}»")
        else:
            out.append(rng.choice(UNRELATED))
    return "\n".join(out[:lines]) + "\n"
