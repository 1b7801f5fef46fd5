using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClientCertHttp.Testing;

/// <summary>
/// What <see cref="MtlsTestServer"/> saw for one request: the client certificate and the chain the client sent, the
/// HTTP and TLS versions and the connection. The server answers each request with this record as JSON (read it with
/// <see cref="MtlsTestServer.ReadReportAsync"/>) and keeps it in <see cref="MtlsTestServer.Reports"/>.
/// </summary>
/// <param name="Subject">Subject of the client leaf certificate, or <see langword="null"/> when none was sent.</param>
/// <param name="Thumbprint">SHA-1 thumbprint (hex) of the client leaf certificate, or <see langword="null"/>.</param>
/// <param name="SentChain">The other certificates the client sent, leaf excluded, in the order received.</param>
/// <param name="HttpProtocol">The request protocol, for example <c>HTTP/1.1</c> or <c>HTTP/2</c>.</param>
/// <param name="TlsProtocol">The negotiated TLS version, for example <c>Tls13</c>.</param>
/// <param name="ConnectionId">Kestrel's connection id; equal ids mean the same TCP connection.</param>
public sealed record MtlsRequestReport(
    string? Subject,
    string? Thumbprint,
    IReadOnlyList<ReceivedCertificate> SentChain,
    string HttpProtocol,
    string TlsProtocol,
    string ConnectionId)
{
    /// <summary>
    /// Gets a value indicating whether the connection resumed an earlier TLS session, so no certificate was sent in
    /// this handshake; <see cref="SentChain"/> is then the chain validated when the session was established.
    /// </summary>
    /// <remarks>
    /// The server infers resumption from a handshake that carries a known leaf without its chain. When
    /// <see cref="MtlsTestServerOptions.TrustedClientRoots"/> holds the leaf's own issuer, such a handshake is validated
    /// as a full one (a client may legitimately send its leaf alone there) and reported as not resumed.
    /// </remarks>
    public bool SessionResumed { get; init; }

    /// <summary>
    /// Gets why the client certificate was refused, or <see langword="null"/> when it was accepted (or none was asked
    /// for). Only requests answered with <see cref="MtlsTestServerOptions.RejectionStatusCode"/> carry one: other
    /// refusals end the connection before any request.
    /// </summary>
    public string? CertificateError { get; init; }

    internal static async Task<MtlsRequestReport> ReadCoreAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.EnsureSuccessStatusCode();
        MtlsRequestReport? report = await response.Content
            .ReadFromJsonAsync(TestingJsonContext.Default.MtlsRequestReport, ct)
            .ConfigureAwait(false);
        return report ?? throw new JsonException("The response body did not contain a client certificate report.");
    }
}

/// <summary>
/// Subject and thumbprint of one certificate the client sent to <see cref="MtlsTestServer"/>.
/// </summary>
/// <param name="Subject">The subject distinguished name.</param>
/// <param name="Thumbprint">The SHA-1 thumbprint (hex, upper case).</param>
public sealed record ReceivedCertificate(string Subject, string Thumbprint);

/// <summary>Source-generated System.Text.Json metadata (web defaults: camelCase, case-insensitive).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MtlsRequestReport))]
internal sealed partial class TestingJsonContext : JsonSerializerContext;
