using System.Text.Json.Serialization;
using ClientCertHttp.Diagnostics;

namespace ClientCertHttp.Tool.Probe;

/// <summary>Everything <c>clientcert probe</c> found out, printed as text or as JSON (<c>--json</c>).</summary>
internal sealed class ProbeReport
{
    public required string Url { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>Gets the server name sent in the handshake (SNI); <see langword="null"/> for an IP literal.</summary>
    public string? ServerName { get; init; }

    public string? RemoteAddress { get; set; }

    public ProbeTimings Timings { get; } = new();

    public ProbeTls? Tls { get; set; }

    public ProbeClientCertificate ClientCertificate { get; set; } = new();

    public ProbeServerCertificate? ServerCertificate { get; set; }

    public ProbeHttp? Http { get; set; }

    public ProbeResumption? Resumption { get; set; }

    public List<string> Warnings { get; } = [];

    public ProbeDiagnosis? Diagnosis { get; set; }

    /// <summary>Gets or sets the outcome: <c>ok</c>, <c>warnings</c> or <c>failed</c>.</summary>
    public string Outcome { get; set; } = "failed";

    public int ExitCode { get; set; } = ExitCodes.Errors;
}

internal sealed class ProbeTimings
{
    public double? TcpConnectMs { get; set; }

    public double? TlsHandshakeMs { get; set; }

    public double? TimeToFirstByteMs { get; set; }

    /// <summary>Gets or sets a note on what the first-byte time includes, when it is not the plain request on the probed connection.</summary>
    public string? TimeToFirstByteNote { get; set; }
}

internal sealed class ProbeTls
{
    public required string Protocol { get; init; }

    public required string CipherSuite { get; init; }

    /// <summary>Gets the ALPN protocol the server chose; <see langword="null"/> when it chose none.</summary>
    public string? Alpn { get; init; }
}

internal sealed class ProbeClientCertificate
{
    /// <summary>Gets or sets where the certificate came from; <see langword="null"/> when none was given.</summary>
    public string? Source { get; set; }

    /// <summary>Gets or sets whether the server asked for a client certificate; <see langword="null"/> when unknown.</summary>
    public bool? Requested { get; set; }

    /// <summary>Gets or sets the CA names the server listed in its certificate request; <see langword="null"/> when unknown.</summary>
    public IReadOnlyList<string>? AcceptableCas { get; set; }

    /// <summary>Gets or sets whether our chain ends at (or passes through) one of the acceptable CAs; <see langword="null"/> when unknown.</summary>
    public bool? ChainMatchesAcceptableCas { get; set; }

    /// <summary>Gets or sets whether our certificate went out in the handshake; <see langword="null"/> when the handshake did not complete.</summary>
    public bool? Sent { get; set; }

    /// <summary>Gets or sets the certificates we offer: the leaf first, then the intermediates.</summary>
    public IReadOnlyList<ProbeCertificate> Chain { get; set; } = [];
}

internal sealed class ProbeServerCertificate
{
    /// <summary>Gets or sets the certificates the server sent: its leaf first, then its intermediates.</summary>
    public IReadOnlyList<ProbeCertificate> Sent { get; set; } = [];

    /// <summary>Gets or sets the chain as built by our trust: leaf to root.</summary>
    public IReadOnlyList<ProbeCertificate> Built { get; set; } = [];

    /// <summary>Gets or sets the trust the verdict was reached with: system trust, or the custom roots of <c>--ca</c>.</summary>
    public required string Trust { get; set; }

    public bool Trusted { get; set; }

    /// <summary>Gets or sets why our trust rejected the server's certificate.</summary>
    public string? Problem { get; set; }
}

internal sealed record ProbeCertificate(string Subject, string Issuer, string Thumbprint, DateTimeOffset NotAfter);

internal sealed class ProbeHttp
{
    public required string Version { get; init; }

    public required int Status { get; init; }

    public string? Reason { get; init; }
}

internal sealed class ProbeResumption
{
    public bool Attempted { get; init; }

    /// <summary>Gets whether the second connection resumed the first one's TLS session; <see langword="null"/> when unknown.</summary>
    public bool? Resumed { get; init; }

    public double? TlsHandshakeMs { get; init; }

    public string? Note { get; init; }
}

/// <summary>A plain-language account of what went wrong (or right), and which side it was.</summary>
/// <param name="FailureSide">
/// Who failed, in the library's vocabulary (<see cref="ClientCertHttpFailureSide"/>, the same as a failed request's
/// diagnosis); <see langword="null"/> when nothing failed.
/// </param>
/// <param name="Summary">One sentence.</param>
/// <param name="Evidence">What was observed (alert, status, exception).</param>
/// <param name="Advice">What to do next.</param>
internal sealed record ProbeDiagnosis([property: JsonIgnore] ClientCertHttpFailureSide? FailureSide, string Summary, string? Evidence, string? Advice)
{
    /// <summary>
    /// Gets the side as written in the output: <c>none</c>, or the <see cref="ClientCertHttpFailureSide"/> name in
    /// kebab case (<c>client-certificate-rejected</c>, <c>server-certificate-rejected</c>, <c>network</c>, …).
    /// </summary>
    public string Side => FailureSide is { } side ? KebabCase(side.ToString()) : "none";

    private static string KebabCase(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ProbeReport))]
internal sealed partial class ProbeJsonContext : JsonSerializerContext;
