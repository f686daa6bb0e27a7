"""The benchmark's baseline: the six writes of link-domain done one after another by a plain
script, as the manual guide (or a shell script around the AWS CLI) would do them — no reads, no
ownership checks, no convergence: it assumes an empty account and zone and knows the zone id and
the REST API id already. scripts/bench runs it beside flarelink's first run and compares.

Usage: bench_baseline.py HOSTNAME ZONE_ID REST_API_ID STAGE ORIGIN_CA_ROOT_PEM
(AWS_ENDPOINT_URL / AWS credentials, CLOUDFLARE_API_BASE and CLOUDFLARE_API_TOKEN from the
environment.)
"""

import json
import os
import sys
import urllib.request

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def cloudflare(method, path, body):
    req = urllib.request.Request(
        os.environ["CLOUDFLARE_API_BASE"].rstrip("/") + "/" + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": "Bearer " + os.environ["CLOUDFLARE_API_TOKEN"], "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        answer = json.load(r)
    if not answer.get("success"):
        sys.exit(f"{method} {path}: {answer}")
    return answer["result"]


def main():
    hostname, zone_id, api_id, stage, root_pem = sys.argv[1:6]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    # 1. the Origin CA certificate
    cert = cloudflare("POST", "certificates", {
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "hostnames": [hostname], "request_type": "origin-rsa", "requested_validity": 5475,
    })
    # 2. its import into ACM
    acm = boto3.client("acm")
    arn = acm.import_certificate(
        Certificate=cert["certificate"].encode(),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        CertificateChain=open(root_pem, "rb").read(),
    )["CertificateArn"]
    # 3. the regional custom domain
    apigw = boto3.client("apigateway")
    domain = apigw.create_domain_name(
        domainName=hostname, regionalCertificateArn=arn,
        endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
    )
    # 4. the API mapping
    apigw.create_base_path_mapping(domainName=hostname, restApiId=api_id, stage=stage)
    # 5. the proxied CNAME
    cloudflare("POST", f"zones/{zone_id}/dns_records", {
        "type": "CNAME", "name": hostname, "content": domain["regionalDomainName"], "proxied": True, "ttl": 1,
    })
    # 6. the SSL/TLS mode
    cloudflare("PATCH", f"zones/{zone_id}/settings/ssl", {"value": "full"})


if __name__ == "__main__":
    main()
