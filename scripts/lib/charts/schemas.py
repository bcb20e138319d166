#!/usr/bin/env python3
"""Builds kubeconform's strict JSON schemas from the Kubernetes OpenAPI (swagger v2) document and
from CustomResourceDefinitions, in kubeconform's layout: <kind><kindSuffix>.json, lower case, where
kindSuffix is "-<first label of the group>-<version>" ("-<version>" for the core group). The
conversion follows kubeconform's openapi2jsonschema (strict: additionalProperties false on every
object with properties; int-or-string as string|integer) and adds what the API server also accepts:
optional fields may be null, resource quantities may be numbers, and objects marked
x-kubernetes-preserve-unknown-fields keep unknown fields.

Usage: schemas.py OUT_DIR KUBERNETES_SWAGGER_JSON CRD_YAML...
"""

import copy
import json
import os
import sys

import yaml

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
DRAFT = "http://json-schema.org/draft-07/schema#"


def file_name(kind, group, version):
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind}{suffix}.json".lower()


def strict(node, required=()):
    """Returns node made strict: closed objects, nullable optional fields, int-or-string unions."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    out = {}
    for key, value in node.items():
        if key == "properties":
            own_required = set(node.get("required", []))
            out[key] = {name: nullable(strict(prop), name in own_required) for name, prop in value.items()}
        elif key in ("description", "x-kubernetes-list-map-keys"):
            continue
        else:
            out[key] = strict(value)
    if "properties" in out and "additionalProperties" not in out and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def nullable(schema, required):
    if required or "type" not in schema or not isinstance(schema["type"], str):
        return schema
    return {**schema, "type": [schema["type"], "null"]}


def swagger_schemas(swagger):
    """One standalone schema per top-level Kubernetes kind: the kind's definition plus every
    definition it reaches, with refs rewritten to #/definitions/<name>."""
    definitions = copy.deepcopy(swagger["definitions"])
    definitions[QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    definitions[INT_OR_STRING] = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    converted = {name: strict(rewrite_refs(schema)) for name, schema in definitions.items()}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            reached = reachable(name, converted)
            root = dict(converted[name])
            root["$schema"] = DRAFT
            root["definitions"] = {ref: converted[ref] for ref in sorted(reached) if ref != name}
            # kubeconform checks apiVersion/kind itself; the schema pins them as the API server does.
            api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            props = dict(root.get("properties", {}))
            props["apiVersion"] = {"type": "string", "enum": [api_version]}
            props["kind"] = {"type": "string", "enum": [gvk["kind"]]}
            root["properties"] = props
            yield file_name(gvk["kind"], gvk["group"], gvk["version"]), root


def rewrite_refs(node):
    if isinstance(node, list):
        return [rewrite_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        return {"$ref": "#/definitions/" + node["$ref"].rsplit("/", 1)[-1]}
    return {key: rewrite_refs(value) for key, value in node.items()}


def reachable(name, definitions):
    seen, stack = set(), [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(refs(definitions[current]))
    return seen


def refs(node):
    if isinstance(node, list):
        for item in node:
            yield from refs(item)
    elif isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from refs(value)


def crd_schemas(documents, object_meta):
    """One schema per served version of each CRD, with apiVersion, kind and a strict ObjectMeta at
    the root (CRD schemas leave them out because the API server handles them)."""
    for doc in documents:
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        for version in spec["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema is None or not version.get("served", True):
                continue
            root = strict(schema)
            props = dict(root.get("properties", {}))
            props["apiVersion"] = {"type": "string", "enum": [f"{spec['group']}/{version['name']}"]}
            props["kind"] = {"type": "string", "enum": [spec["names"]["kind"]]}
            props["metadata"] = {"$ref": f"#/definitions/{OBJECT_META}"}
            root.update({"$schema": DRAFT, "properties": props, "additionalProperties": False})
            root["definitions"] = object_meta
            yield file_name(spec["names"]["kind"], spec["group"], version["name"]), root


class CrdLoader(yaml.SafeLoader):
    """PyYAML reads a bare "=" as the value tag and has no constructor for it; it is a string."""


CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def main(out_dir, swagger_path, crd_paths):
    with open(swagger_path) as f:
        swagger = json.load(f)
    written = {}
    for name, schema in swagger_schemas(swagger):
        written[name] = schema
    meta = next(s for n, s in written.items() if n == "namespace-v1.json")["definitions"]
    object_meta = {ref: meta[ref] for ref in reachable(OBJECT_META, meta)}
    for path in crd_paths:
        with open(path) as f:
            for name, schema in crd_schemas(yaml.load_all(f, Loader=CrdLoader), object_meta):
                if name in written:
                    raise SystemExit(f"schemas: {name} from {path} collides with a Kubernetes schema")
                written[name] = schema
    os.makedirs(out_dir, exist_ok=True)
    for name, schema in written.items():
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(schema, f, separators=(",", ":"))
    print(f"schemas: wrote {len(written)} schemas to {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
