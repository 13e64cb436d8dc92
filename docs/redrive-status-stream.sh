#!/usr/bin/env bash
# Republishes status changes the statusStream function did not publish, from the table's stream
# (records stay there 24 hours). README: "Status changes that were not published".
#
#   docs/redrive-status-stream.sh FUNCTION STREAM_ARN SHARD_ID START END
#
# FUNCTION    huawei-dms-connector-status-<stage>-statusStream
# STREAM_ARN  DDBStreamBatchInfo.streamArn (or eventSourceArn of an unpublishable-status-record)
# SHARD_ID    DDBStreamBatchInfo.shardId (unpublishable record: the shard whose SequenceNumberRange
#             in `aws dynamodbstreams describe-stream` contains its sequence number)
# START, END  DDBStreamBatchInfo.startSequenceNumber and endSequenceNumber (or the record's
#             sequenceNumber, twice)
#
# Reads the records from START to END (inclusive) and invokes the function with them, 20 at a
# time, shaped like the event Lambda's mapping sends. Publishing is idempotent for subscribers
# (same eventId), so running it twice only repeats events. Needs the AWS CLI v2 and jq.
set -euo pipefail

if [ "$#" -ne 5 ]; then
  sed -n '5,12p' "$0" >&2
  exit 2
fi
FUNCTION=$1 STREAM_ARN=$2 SHARD=$3 START=$4 LAST=$5
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Sequence numbers are decimal strings longer than a double holds: compare by length, then text.
COMPARE='def cmp($b): if length != ($b | length) then length - ($b | length)
                     elif . < $b then -1 elif . > $b then 1 else 0 end;'

iterator=$(aws dynamodbstreams get-shard-iterator --stream-arn "$STREAM_ARN" --shard-id "$SHARD" \
  --shard-iterator-type AT_SEQUENCE_NUMBER --sequence-number "$START" \
  --query ShardIterator --output text)
invocations=0
while [ -n "$iterator" ] && [ "$iterator" != None ]; do
  aws dynamodbstreams get-records --shard-iterator "$iterator" --limit 20 > "$WORK/page.json"
  jq --arg arn "$STREAM_ARN" --arg last "$LAST" "$COMPARE"'
    {Records: [.Records[] | select(.dynamodb.SequenceNumber | cmp($last) <= 0)
                          | . + {eventSourceARN: $arn}]}' "$WORK/page.json" > "$WORK/batch.json"
  if [ "$(jq '.Records | length' "$WORK/batch.json")" -gt 0 ]; then
    aws lambda invoke --function-name "$FUNCTION" --cli-binary-format raw-in-base64-out \
      --payload "file://$WORK/batch.json" "$WORK/response.json" > /dev/null
    invocations=$((invocations + 1))
    first=$(jq -r '.Records[0].dynamodb.SequenceNumber' "$WORK/batch.json")
    echo "records from $first: $(cat "$WORK/response.json")"
    failed=$(jq -r '.batchItemFailures[0].itemIdentifier // empty' "$WORK/response.json")
    if [ -n "$failed" ]; then
      echo "Not delivered from $failed on (EventBridge still failing?). Run again later with START=$failed." >&2
      exit 1
    fi
    if jq -e 'has("errorMessage")' "$WORK/response.json" > /dev/null; then
      echo "The function failed; nothing after $first was redriven." >&2
      exit 1
    fi
  fi
  # Done once LAST has been read. An open shard may answer empty pages before its records.
  if jq -e --arg last "$LAST" "$COMPARE"'
       any(.Records[]; .dynamodb.SequenceNumber | cmp($last) >= 0)' "$WORK/page.json" > /dev/null; then
    break
  fi
  iterator=$(jq -r '.NextShardIterator // empty' "$WORK/page.json")
done
echo "Redriven up to $LAST in $invocations invocation(s)."
