"""Create the guide's sample REST API in moto so the demo has something to link.

Creates (once; it reuses what exists) a REGIONAL REST API named by argv[1] with GET /ditto as an
HTTP proxy to PokeAPI, deployed to the stage argv[2]. Prints the API id. Reads AWS_ENDPOINT_URL.
"""

import os
import sys

import boto3

name, stage = sys.argv[1], sys.argv[2]
client = boto3.client(
    "apigateway",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ["AWS_ENDPOINT_URL"],
)
existing = [a for a in client.get_rest_apis()["items"] if a["name"] == name]
if existing:
    print(existing[0]["id"])
    sys.exit(0)
api = client.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})
root = next(r for r in client.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
ditto = client.create_resource(restApiId=api["id"], parentId=root["id"], pathPart="ditto")
client.put_method(restApiId=api["id"], resourceId=ditto["id"], httpMethod="GET", authorizationType="NONE")
client.put_integration(
    restApiId=api["id"],
    resourceId=ditto["id"],
    httpMethod="GET",
    type="HTTP_PROXY",
    integrationHttpMethod="GET",
    uri="https://pokeapi.co/api/v2/pokemon/ditto",
)
client.create_deployment(restApiId=api["id"], stageName=stage)
print(api["id"])
