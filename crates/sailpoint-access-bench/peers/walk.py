"""Walks every access-request status with the Python SDK, for `cargo xtask bench --peers`.

Configured only through the SDK's environment variables (SAIL_BASE_URL without
/v3, SAIL_CLIENT_ID, SAIL_CLIENT_SECRET). Prints one JSON line starting with
{"peer": as the last line of stdout; the SDK's own prints come before it.

    walk.py --expected N [--mode paginator|tolerant]

paginator: the SDK's Paginator.paginate over list_access_request_status, pages
of 250, with a result limit far above N (a caller who does not know the size).
tolerant: the workaround a caller is left with when a page is refused: a loop
of its own over the raw response, each item decoded on its own with the SDK's
model, refused items counted and skipped, a 400 past the end taken as the end.
"""

import json
import resource
import sys
import time

PAGE = 250


def main():
    args = sys.argv[1:]
    expected = int(args[args.index("--expected") + 1])
    mode = args[args.index("--mode") + 1] if "--mode" in args else "paginator"
    report = {"peer": "python", "mode": mode, "expected": expected, "items": 0,
              "errors": [], "outcome": "clean"}
    t0 = time.perf_counter()
    try:
        from importlib.metadata import version
        report["version"] = version("sailpoint")
        from sailpoint.configuration import Configuration
        from sailpoint.paginator import Paginator
        if report["version"].startswith("1."):
            import sailpoint.v3 as family
            from sailpoint.v3.models.requested_item_status import RequestedItemStatus
            list_name = "list_access_request_status"
        else:
            # 2.x: one module per API family, versioned paths (/access-request-status/v1).
            import sailpoint.access_requests as family
            from sailpoint.access_requests.models.requested_item_status import (
                RequestedItemStatus)
            list_name = "list_access_request_status_v1"
    except Exception as e:  # the import is the SDK's; report it, do not crash
        report["errors"].append({"kind": "import", "message": repr(e)[:300]})
        report["outcome"] = "failed"
        finish(report, t0, None)
        return
    report["import_s"] = time.perf_counter() - t0
    try:
        configuration = Configuration()  # reads SAIL_* and fetches the token
    except Exception as e:
        report["errors"].append({"kind": "token", "message": repr(e)[:300]})
        report["outcome"] = "failed"
        finish(report, t0, None)
        return
    with family.ApiClient(configuration) as client:
        api = family.AccessRequestsApi(client)
        listing = getattr(api, list_name)
        raw_listing = getattr(api, list_name + "_without_preload_content")
        started = time.perf_counter()
        if mode == "paginator":
            try:
                items = Paginator.paginate(listing,
                                           10 ** 9, limit=PAGE)
                report["items"] = len(items)
            except Exception as e:
                report["errors"].append({"kind": type(e).__name__,
                                         "message": str(e)[:300]})
        else:
            offset = 0
            while True:
                try:
                    raw = raw_listing(
                        limit=PAGE, offset=offset)
                except Exception as e:
                    report["errors"].append({"kind": type(e).__name__,
                                             "message": str(e)[:300]})
                    break
                if raw.status == 400 and offset > 0:
                    report["errors"].append({"kind": "400 past the end",
                                             "message": raw.data.decode()[:300]})
                    break
                if raw.status != 200:
                    report["errors"].append({"kind": f"HTTP {raw.status}",
                                             "message": raw.data.decode()[:300]})
                    break
                page = json.loads(raw.data)
                for item in page:
                    try:
                        RequestedItemStatus.from_dict(item)
                        report["items"] += 1
                    except Exception as e:
                        report["refused"] = report.get("refused", 0) + 1
                        if report["refused"] == 1:
                            report["errors"].append({"kind": "item refused",
                                                     "message": str(e)[:300]})
                if len(page) < PAGE:
                    break
                offset += PAGE
        finish(report, t0, started)


def finish(report, t0, started):
    end = time.perf_counter()
    if started is not None:
        report["walk_s"] = end - started
    report["process_s"] = end - t0
    if report["outcome"] != "failed":
        if report["errors"] and report["items"] == 0:
            report["outcome"] = "failed"
        elif report["items"] < report["expected"]:
            report["outcome"] = "lost"
    report["self_max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
