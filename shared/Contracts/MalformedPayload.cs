using Google.Protobuf;

namespace LlmServe.Contracts;

/// <summary>
/// Which exceptions a protobuf parse of bytes from the bus throws for malformed input. Besides
/// <see cref="InvalidProtocolBufferException"/>, Google.Protobuf 3.25.1 throws <see cref="IndexOutOfRangeException"/>
/// for some inputs (found by tests/Reliability.Tests' fuzzing, e.g. a length prefix <c>FF FF FF FF F7 0F</c>): every
/// decoder catches <c>when (MalformedPayload.Is(e))</c>, so one bad message cannot end a service's loop.
/// </summary>
public static class MalformedPayload
{
    public static bool Is(Exception exception) =>
        exception is InvalidProtocolBufferException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException;
}
