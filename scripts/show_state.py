"""Print what the local stand-ins hold, read back independently of flarelink: boto3 against
moto, plain HTTP against the Cloudflare emulator. Used by scripts/demo.

Usage: show_state.py MOTO_ENDPOINT CLOUDFLARE_API_BASE   (token from CLOUDFLARE_API_TOKEN)
"""

import json
import os
import sys
import urllib.error
import urllib.request

import boto3

moto_endpoint, cf_base = sys.argv[1], sys.argv[2]
kw = dict(region_name=os.environ.get("AWS_REGION", "us-east-1"), endpoint_url=moto_endpoint)
apigw, acm = boto3.client("apigateway", **kw), boto3.client("acm", **kw)
for d in apigw.get_domain_names()["items"]:
    print(f"API Gateway custom domain {d['domainName']} -> {d.get('regionalDomainName')} "
          f"({d.get('securityPolicy')}, certificate {d.get('regionalCertificateArn')})")
    for m in apigw.get_base_path_mappings(domainName=d["domainName"]).get("items", []):
        print(f"  mapping {m.get('basePath')} -> {m['restApiId']} stage {m.get('stage')}")
for c in acm.list_certificates()["CertificateSummaryList"]:
    arn = c["CertificateArn"]
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}
    print(f"ACM certificate {arn}\n  tags {tags}")


def cloudflare(path):
    request = urllib.request.Request(
        cf_base + path, headers={"Authorization": "Bearer " + os.environ["CLOUDFLARE_API_TOKEN"]}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["result"]


for zone in cloudflare("zones"):
    zone_id = zone["id"]
    for r in cloudflare(f"zones/{zone_id}/dns_records"):
        print(f"Cloudflare DNS {r['type']} {r['name']} -> {r['content']} "
              f"proxied={r['proxied']} comment={r.get('comment')!r}")
    for c in cloudflare(f"certificates?zone_id={zone_id}"):
        print(f"Cloudflare Origin CA certificate {c['id']} for {c['hostnames']} expires {c['expires_on']}")
    print(f"Cloudflare zone {zone['name']} SSL/TLS mode: {cloudflare(f'zones/{zone_id}/settings/ssl')['value']}")
    # The hostname-scoped mode (the default ssl_scope): Configuration Rules win over the zone's
    # setting for the hostnames they match. A never-set phase answers 404.
    try:
        rules = cloudflare(f"zones/{zone_id}/rulesets/phases/http_config_settings/entrypoint")["rules"]
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
        rules = []
    for r in rules:
        ssl = r.get("action_parameters", {}).get("ssl")
        if ssl:
            print(f"Cloudflare Configuration Rule {r.get('description')!r}: ssl={ssl} "
                  f"for {r.get('expression')} enabled={r.get('enabled', True)}")
