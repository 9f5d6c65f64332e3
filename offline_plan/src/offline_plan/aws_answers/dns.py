"""Route 53 hosted zones and ACM certificates."""

from __future__ import annotations

import base64
from typing import Any

from offline_plan.aws_answers.context import ACCOUNT_ID, InvokeContext, digest


# -- Route 53, ACM ------------------------------------------------------------------------------------
def route53_zone(args: dict[str, Any], _ctx: InvokeContext) -> dict[str, Any]:
    name = str(args.get("name") or "").rstrip(".")
    private = bool(args.get("privateZone"))
    zone_id = (
        args.get("zoneId") or "Z" + base64.b32encode(bytes.fromhex(digest(name, private)[:24])).decode()[:20]
    )
    name = name or f"zone-{zone_id[-6:].lower()}.example.com"
    servers = int(digest(zone_id)[:6], 16)
    name_servers = [
        f"ns-{servers % 512 + 1}.awsdns-{servers % 64:02d}.com",
        f"ns-{servers % 512 + 513}.awsdns-{(servers >> 6) % 64:02d}.net",
        f"ns-{servers % 512 + 1025}.awsdns-{(servers >> 12) % 64:02d}.org",
        f"ns-{servers % 512 + 1537}.awsdns-{(servers >> 18) % 64:02d}.co.uk",
    ]
    return {
        "id": zone_id,
        "zoneId": zone_id,
        "name": name,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "callerReference": f"offline-plan-{digest(zone_id)[:8]}",
        "comment": "",
        "nameServers": [] if private else name_servers,
        "primaryNameServer": "" if private else name_servers[0],
        "privateZone": private,
        "vpcId": args.get("vpcId"),
        "resourceRecordSetCount": 2,
        "linkedServiceDescription": "",
        "linkedServicePrincipal": "",
        "enableAcceleratedRecovery": args.get("enableAcceleratedRecovery"),
        "tags": args.get("tags") or {},
    }


def acm_certificate(args: dict[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    region_name = args.get("region") or ctx.region
    domain = args.get("domain") or "example.com"
    h = digest(region_name, domain)
    certificate_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {
        "id": f"arn:{ctx.partition}:acm:{region_name}:{ACCOUNT_ID}:certificate/{certificate_id}",
        "arn": f"arn:{ctx.partition}:acm:{region_name}:{ACCOUNT_ID}:certificate/{certificate_id}",
        "domain": domain,
        "status": "ISSUED",
        "statuses": args.get("statuses"),
        "types": args.get("types") or ["AMAZON_ISSUED"],
        "keyTypes": args.get("keyTypes") or ["RSA_2048"],
        "mostRecent": args.get("mostRecent"),
        "certificate": "",
        "certificateChain": "",
        "tags": args.get("tags") or {},
        "region": region_name,
    }
