// The AWS SDK for JavaScript v3 against the gateway. Driven by tests/compat/test_js_sdk.py, which
// starts the gateway, puts the many small keys and fetches the presigned URL with urllib.
// Prints "STEP <name>" after each step that passed, "PRESIGNED <url>" and "VERSION <v>";
// any failure throws and exits non-zero.
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { strict as assert } from "node:assert";
import {
  S3Client,
  CreateBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  HeadObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const env = process.env;
const bucket = env.BUCKET;
const bigPath = env.BIG_FILE;
const bigSize = statSync(bigPath).size;
const awkward = JSON.parse(env.AWKWARD_KEYS);
const manyPrefix = env.MANY_PREFIX;
const manyCount = Number(env.MANY_COUNT);
const mode = env.CHECKSUMS; // WHEN_SUPPORTED (the SDK default) or WHEN_REQUIRED

const s3 = new S3Client({
  endpoint: env.ENDPOINT,
  region: env.REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: env.ACCESS_KEY, secretAccessKey: env.SECRET_KEY },
  requestChecksumCalculation: mode,
  responseChecksumValidation: mode,
  maxAttempts: 1,
});

async function step(name, body) {
  await body();
  console.log(`STEP ${name}`);
}

async function bodyBytes(response) {
  return Buffer.from(await response.Body.transformToByteArray());
}

async function sha256OfBody(response) {
  const digest = createHash("sha256");
  for await (const chunk of response.Body) digest.update(chunk);
  return digest.digest("hex");
}

await step("create bucket", async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const listed = await s3.send(new ListBucketsCommand({}));
  assert.ok(listed.Buckets.some((b) => b.Name === bucket));
});

await step("metadata + content-type", async () => {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "small.txt",
      Body: Buffer.from("hello from the js sdk"),
      ContentType: "text/x-compat",
      Metadata: { colour: "blue" },
    }),
  );
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "small.txt" }));
  assert.equal(head.ContentType, "text/x-compat");
  assert.deepEqual(head.Metadata, { colour: "blue" });
});

await step("stream PutObject (aws-chunked unless WHEN_REQUIRED)", async () => {
  const length = 3 * 1024 * 1024;
  const stream = createReadStream(bigPath, { start: 0, end: length - 1 });
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: "stream.bin", Body: stream, ContentLength: length }),
  );
  const got = await bodyBytes(await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "stream.bin" })));
  const expected = readFileSync(bigPath).subarray(0, length);
  assert.ok(got.equals(expected), "stream upload came back different");
});

await step("multipart 50 MB (lib-storage, 8 MB parts)", async () => {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: "big.bin", Body: createReadStream(bigPath) },
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  });
  await upload.done();
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "big.bin" }));
  assert.equal(head.ContentLength, bigSize);
  assert.equal(head.ETag, env.BIG_ETAG_8MB);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }));
  assert.equal(await sha256OfBody(got), env.BIG_SHA256);
});

await step("range", async () => {
  const got = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: "big.bin", Range: "bytes=30000000-30000511" }),
  );
  assert.equal(got.ContentRange, `bytes 30000000-30000511/${bigSize}`);
  const expected = readFileSync(bigPath).subarray(30000000, 30000512);
  assert.ok((await bodyBytes(got)).equals(expected));
});

await step("odd keys", async () => {
  for (const key of awkward) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(key) }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal((await bodyBytes(got)).toString(), key);
  }
});

await step("list prefix/delimiter", async () => {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/", Prefix: "" }),
  );
  const prefixes = listed.CommonPrefixes.map((p) => p.Prefix);
  const expected = [...new Set(awkward.map((k) => k.split("/")[0] + "/")), manyPrefix].sort();
  assert.deepEqual(prefixes, expected);
  const inside = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "plus+sign/" }));
  assert.deepEqual(inside.Contents.map((o) => o.Key), [awkward[1]]);
});

await step("paging > 1000 (v2 paginator, v1 markers)", async () => {
  const seen = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: manyPrefix })) {
    for (const object of page.Contents ?? []) seen.push(object.Key);
  }
  assert.equal(seen.length, manyCount);
  assert.deepEqual(seen, [...seen].sort());
  const v1 = [];
  let marker;
  do {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: manyPrefix, Marker: marker }));
    for (const object of page.Contents ?? []) v1.push(object.Key);
    marker = page.IsTruncated ? page.NextMarker ?? page.Contents.at(-1).Key : undefined;
  } while (marker);
  assert.deepEqual(v1, seen);
});

await step("copy (odd key source)", async () => {
  const source = awkward[2];
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: "copy.txt",
      CopySource: `${bucket}/${encodeURIComponent(source)}`,
    }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy.txt" }));
  assert.equal((await bodyBytes(got)).toString(), source);
});

await step("presigned GET", async () => {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: awkward[0] }), {
    expiresIn: 300,
  });
  console.log(`PRESIGNED ${url}`);
});

await step("delete, delete many", async () => {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "copy.txt" }));
  const keys = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: manyPrefix })) {
    for (const object of page.Contents ?? []) keys.push(object.Key);
  }
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000).map((Key) => ({ Key }));
    const result = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
    );
    assert.equal(result.Errors?.length ?? 0, 0);
  }
  const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: manyPrefix }));
  assert.equal(left.KeyCount, 0);
});

const pkg = JSON.parse(readFileSync(new URL("./node_modules/@aws-sdk/client-s3/package.json", import.meta.url)));
console.log(`VERSION ${pkg.version}`);
