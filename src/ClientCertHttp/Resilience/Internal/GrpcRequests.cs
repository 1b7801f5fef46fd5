using System.Net.Http;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Recognizes gRPC calls by their content type (<c>application/grpc</c>, <c>application/grpc+proto</c>,
/// <c>application/grpc-web</c>, <c>application/grpc-web-text</c>, …), which every gRPC client sets on every call.
/// </summary>
/// <remarks>
/// Such requests skip the client's HTTP retry pipeline: a gRPC call reports its outcome in trailers the pipeline cannot
/// read (dotnet/extensions#4923), a streaming call outlives any attempt timeout, and gRPC has its own retry policy.
/// </remarks>
internal static class GrpcRequests
{
    private const string GrpcMediaType = "application/grpc";

    /// <summary>Tells whether the request is a gRPC call. Allocates nothing for content types set as parsed values, as gRPC sets them.</summary>
    public static bool IsGrpc(HttpRequestMessage request)
    {
        // A request without content (GET, HEAD) is never a gRPC call; reading Headers of content that has none would create them.
        if (request.Content?.Headers.ContentType?.MediaType is not { } mediaType
            || !mediaType.StartsWith(GrpcMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var suffix = mediaType.AsSpan(GrpcMediaType.Length);
        return suffix.IsEmpty || suffix[0] == '+' || suffix.StartsWith("-web", StringComparison.OrdinalIgnoreCase);
    }
}
