using System.Net.Http;
using System.Net.Http.Json;

namespace ClientCertHttp.Resilience;

/// <summary>Decides whether a request may be sent again: its method and whether its content can be replayed.</summary>
internal static class RequestReplay
{
    /// <summary>Returns <see langword="null"/> when the request may be sent again, otherwise why not.</summary>
    public static string? Check(HttpRequestMessage request, bool allowNonIdempotentMethods)
    {
        if (!allowNonIdempotentMethods && !IsIdempotent(request.Method))
        {
            return $"{request.Method} is not idempotent (set Retry:RetryNonIdempotentMethods to retry it)";
        }

        return CheckContent(request);
    }

    /// <summary>Returns <see langword="null"/> when the request's content (if any) can be sent again, otherwise why not.</summary>
    public static string? CheckContent(HttpRequestMessage request) =>
        request.Content is null || IsReplayable(request.Content)
            ? null
            : $"its content ({request.Content.GetType().Name}) cannot be sent twice";

    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get
        || method == HttpMethod.Head
        || method == HttpMethod.Options
        || method == HttpMethod.Trace
        || method == HttpMethod.Put
        || method == HttpMethod.Delete;

    // Contents that serialize from memory (or from an object) every time they are sent. A StreamContent is read once
    // and whether its stream can seek is not visible, so it is not replayed; neither is any unknown content type.
    public static bool IsReplayable(HttpContent content) => content switch
    {
        ByteArrayContent or ReadOnlyMemoryContent or JsonContent => true,
        MultipartContent multipart => multipart.All(IsReplayable),
        _ => false,
    };
}
