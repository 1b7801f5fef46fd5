using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ClientCertHttp.Trust;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Classifies the outcome of an HTTP request (a response or an exception) for retrying, with mutual TLS in mind:
/// transient failures are retried, certificate and trust failures — which no retry can fix — are not.
/// </summary>
/// <remarks>
/// <para>The categories (see <see cref="HttpFailureCategory"/>):</para>
/// <list type="bullet">
/// <item><description>
/// <see cref="HttpFailureCategory.Transient"/>: connection refused, reset or aborted; DNS failure
/// (<see cref="HttpRequestError.NameResolutionError"/>); timeouts (<see cref="TimeoutRejectedException"/>,
/// <see cref="TimeoutException"/>); an HTTP/2 stream reset with INTERNAL_ERROR or REFUSED_STREAM; HTTP 408, 429, 500, 502,
/// 503 and 504.
/// </description></item>
/// <item><description>
/// <see cref="HttpFailureCategory.ClientCertificateRejected"/>: the server sent a certificate TLS alert
/// (bad certificate, unknown CA, certificate expired, revoked, unsupported or unknown, certificate required, access
/// denied) — during the handshake (TLS 1.2) or on the first read (TLS 1.3); the server closed a fresh connection right
/// after the handshake without answering, which is how servers that check the certificate after the handshake
/// (Kestrel, any .NET <c>SslStream</c> server) reject it — seen as <see cref="HttpRequestError.ResponseEnded"/> over
/// HTTP/1.1 (after <see cref="SocketsHttpHandler"/> has itself retried the request on new connections) and as "the
/// server did not complete the HTTP/2 handshake" over HTTP/2; nginx's 400 responses "No required SSL certificate was
/// sent" and "The SSL certificate error" and its 495/496 codes; and, when the caller opts in, 403.
/// </description></item>
/// <item><description>
/// <see cref="HttpFailureCategory.ServerCertificateRejected"/>: an <see cref="AuthenticationException"/> saying the
/// remote certificate is invalid (chain, host name, validity): this client's own trust checks said no; or a
/// <see cref="CryptographicException"/> directly under a <see cref="HttpRequestError.SecureConnectionError"/>: the
/// platform could not build the server's chain at all (on Linux, for example, when its name constraints are too many
/// for OpenSSL to check).
/// </description></item>
/// <item><description>
/// <see cref="HttpFailureCategory.TlsHandshakeFailed"/>: any other <see cref="AuthenticationException"/> or TLS alert.
/// </description></item>
/// <item><description>
/// An exception that wraps a <see cref="ClientCertHttpRequestException"/> (a gRPC <c>RpcException</c>, whose inner
/// exception it is, or an <see cref="AggregateException"/>): that exception's
/// <see cref="ClientCertHttpRequestException.Classification"/>.
/// </description></item>
/// <item><description>
/// <see cref="HttpFailureCategory.NonTransientStatusCode"/>: 4xx other than 408 and 429, other 5xx.
/// <see cref="HttpFailureCategory.Canceled"/>: an <see cref="OperationCanceledException"/> that is not a timeout.
/// <see cref="HttpFailureCategory.Unclassified"/>: anything else.
/// </description></item>
/// </list>
/// <para>
/// The exception shapes were captured from real failing connections on .NET 10 with OpenSSL 3 (Linux); TLS alert
/// texts are OpenSSL's. Other platforms report some alerts differently; such failures then fall into
/// <see cref="HttpFailureCategory.TlsHandshakeFailed"/> or <see cref="HttpFailureCategory.Unclassified"/>, which are
/// not retried either.
/// </para>
/// <para>
/// Use <see cref="ShouldRetry"/> as the <c>ShouldHandle</c> predicate of a Polly retry strategy, for example in
/// <c>AddStandardResilienceHandler(o =&gt; o.Retry.ShouldHandle = HttpFailureClassifier.ShouldRetry)</c>.
/// </para>
/// </remarks>
public static partial class HttpFailureClassifier
{
    // Bodies longer than this are not read to look for a certificate error: nginx's error pages are a few hundred bytes.
    private const int MaxInspectedBodyLength = 16 * 1024;

    // The TLS alerts a server sends about the client's certificate (RFC 8446 section 6.2), as OpenSSL words them.
    private static readonly HashSet<string> CertificateAlerts = new(StringComparer.Ordinal)
    {
        "bad certificate",
        "unsupported certificate",
        "certificate revoked",
        "certificate expired",
        "certificate unknown",
        "unknown ca",
        "access denied",
        "certificate required",
    };

    private static readonly string[] NginxCertificateErrors = ["No required SSL certificate was sent", "The SSL certificate error"];

    /// <summary>
    /// Classifies an exception thrown while sending a request.
    /// </summary>
    /// <param name="exception">The exception, as thrown by the handler pipeline or <see cref="HttpClient"/>.</param>
    /// <returns>The classification.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public static HttpFailureClassification Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // A failure this library already diagnosed, found under the exception a caller sees: gRPC's RpcException
        // carries it as its inner exception.
        if (Find<ClientCertHttpRequestException>(exception) is { } diagnosed)
        {
            return diagnosed.Classification;
        }

        // Our own trust rejection first: its message quotes the server's certificate (subject, names), which the
        // server controls, so nothing in it may be read as a TLS alert.
        if (Find<ServerCertificateValidationException>(exception) is { } ownRejection)
        {
            return new(HttpFailureCategory.ServerCertificateRejected, $"this client's trust checks rejected the server's certificate ({ownRejection.Reason}): {ownRejection.Message}");
        }

        // The platform threw while building the server's chain, before any trust check could run: a chain it cannot
        // evaluate is never trusted, and no retry changes it.
        if (ChainBuildFailure.Find(exception) is { } chainBuild)
        {
            return new(HttpFailureCategory.ServerCertificateRejected, ChainBuildFailure.Describe(chainBuild));
        }

        // A TLS alert is the most specific evidence: OpenSSL's own words, read only from the innermost, native
        // exception (TLS 1.3 alerts arrive on the first read, under an IOException rather than an AuthenticationException).
        var alert = FindTlsAlert(exception);
        if (alert is not null)
        {
            return CertificateAlerts.Contains(alert)
                ? new(HttpFailureCategory.ClientCertificateRejected, $"the server sent the TLS alert '{alert}'")
                : new(HttpFailureCategory.TlsHandshakeFailed, $"the server sent the TLS alert '{alert}'");
        }

        switch (exception)
        {
            case TimeoutRejectedException timeout:
                return new(HttpFailureCategory.Transient, $"a resilience timeout of {timeout.Timeout} elapsed");
            case TimeoutException:
                return new(HttpFailureCategory.Transient, "the request timed out");
            case OperationCanceledException canceled:
                return Find<TimeoutException>(canceled) is not null
                    ? new(HttpFailureCategory.Transient, "the request timed out")
                    : new(HttpFailureCategory.Canceled, "the request was canceled");
        }

        if (Find<AuthenticationException>(exception) is { } authentication)
        {
            return authentication.Message.Contains("remote certificate", StringComparison.OrdinalIgnoreCase)
                ? new(HttpFailureCategory.ServerCertificateRejected, $"the server's certificate was rejected: {authentication.Message}")
                : new(HttpFailureCategory.TlsHandshakeFailed, $"the TLS handshake failed: {Innermost(authentication).Message}");
        }

        if (Find<HttpRequestException>(exception) is { } request)
        {
            switch (request.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return new(HttpFailureCategory.Transient, $"the host name could not be resolved: {request.Message}");
                case HttpRequestError.ConnectionError:
                    return new(HttpFailureCategory.Transient, $"the connection failed: {request.Message}");
                case HttpRequestError.ResponseEnded:
                    return new(
                        HttpFailureCategory.ClientCertificateRejected,
                        "the server closed the connection after the TLS handshake without sending a response, which is how servers that check client certificates after the handshake reject one");
                case HttpRequestError.HttpProtocolError when Find<HttpProtocolException>(exception) is { ErrorCode: 0x2 or 0x7 } reset:
                    return new(HttpFailureCategory.Transient, $"the server reset the stream: {reset.Message}");
            }
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            // The pool reports it as an IOException under the request's exception, or (when the connection was opened
            // for another waiting request and then injected) as the HttpRequestException itself: both seen here.
            if (current is IOException or HttpRequestException && current.Message.Contains("did not complete the HTTP/2 handshake", StringComparison.Ordinal))
            {
                return new(
                    HttpFailureCategory.ClientCertificateRejected,
                    "the server closed the connection after the TLS handshake without completing the HTTP/2 handshake, which is how servers that check client certificates after the handshake reject one");
            }

            if (current is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded })
            {
                return new(
                    HttpFailureCategory.ClientCertificateRejected,
                    "the server closed the connection after the TLS handshake without sending a response, which is how servers that check client certificates after the handshake reject one");
            }

            if (current is SocketException socket && IsTransient(socket.SocketErrorCode))
            {
                return new(HttpFailureCategory.Transient, $"the connection failed: {socket.Message} ({socket.SocketErrorCode})");
            }
        }

        return new(HttpFailureCategory.Unclassified, $"{exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>
    /// Classifies a response. A 400 response whose short body carries one of nginx's certificate error texts is read
    /// (the content is buffered first, so the caller can still read it).
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="treatForbiddenAsCertificateRejection">Whether a 403 means the server rejected the client certificate.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The classification; <see cref="HttpFailureCategory.None"/> for 1xx–3xx.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="response"/> is <see langword="null"/>.</exception>
    public static async ValueTask<HttpFailureClassification> ClassifyAsync(HttpResponseMessage response, bool treatForbiddenAsCertificateRejection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var status = (int)response.StatusCode;
        var described = $"HTTP {status} ({response.StatusCode})";
        switch (status)
        {
            case < 400:
                return new(HttpFailureCategory.None, described);
            case var transient when IsTransientStatus(transient):
                return new(HttpFailureCategory.Transient, $"the server answered {described}");
            case 495 or 496:
                return new(HttpFailureCategory.ClientCertificateRejected, $"the server answered {status}, nginx's code for a missing or invalid client certificate");
            case 403 when treatForbiddenAsCertificateRejection:
                return new(HttpFailureCategory.ClientCertificateRejected, "the server answered 403 (Forbidden), which this client is configured to read as a rejected client certificate");
            case 400 when await FindNginxCertificateErrorAsync(response, cancellationToken).ConfigureAwait(false) is { } text:
                return new(HttpFailureCategory.ClientCertificateRejected, $"the server answered 400 \"{text}\"");
            default:
                return new(HttpFailureCategory.NonTransientStatusCode, $"the server answered {described}");
        }
    }

    /// <summary>
    /// Classifies a Polly outcome: its exception, or else its response.
    /// </summary>
    /// <param name="outcome">The outcome of one attempt.</param>
    /// <param name="treatForbiddenAsCertificateRejection">Whether a 403 means the server rejected the client certificate.</param>
    /// <param name="cancellationToken">Cancels reading a response body.</param>
    /// <returns>The classification.</returns>
    public static ValueTask<HttpFailureClassification> ClassifyAsync(Outcome<HttpResponseMessage> outcome, bool treatForbiddenAsCertificateRejection, CancellationToken cancellationToken)
    {
        if (outcome.Exception is { } exception)
        {
            return ValueTask.FromResult(Classify(exception));
        }

        return outcome.Result is { } response
            ? ClassifyAsync(response, treatForbiddenAsCertificateRejection, cancellationToken)
            : ValueTask.FromResult(new HttpFailureClassification(HttpFailureCategory.Unclassified, "the outcome has neither a response nor an exception"));
    }

    /// <summary>
    /// Tells whether an outcome is a transient failure. Suits predicates that have no request to look at, such as a
    /// circuit breaker's <c>ShouldHandle</c>.
    /// </summary>
    /// <param name="outcome">The outcome of one attempt.</param>
    /// <param name="cancellationToken">Cancels reading a response body.</param>
    /// <returns><see langword="true"/> for <see cref="HttpFailureCategory.Transient"/>.</returns>
    public static async ValueTask<bool> IsTransientAsync(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken)
        => (await ClassifyAsync(outcome, treatForbiddenAsCertificateRejection: false, cancellationToken).ConfigureAwait(false)).IsTransient;

    /// <summary>
    /// A Polly retry predicate: retries transient failures of requests that are safe to send again — idempotent methods
    /// (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) with replayable content — and nothing else.
    /// </summary>
    /// <param name="args">The retry strategy's arguments.</param>
    /// <returns><see langword="true"/> to retry.</returns>
    /// <remarks>
    /// Assign it to <c>HttpRetryStrategyOptions.ShouldHandle</c>, for example in <c>AddStandardResilienceHandler</c>.
    /// The request is taken from the resilience context (<c>ResilienceContext.GetRequestMessage()</c>) or the response.
    /// Certificate rejections are not retried here: the reload-and-retry-once behaviour belongs to this library's own
    /// pipeline.
    /// </remarks>
    public static async ValueTask<bool> ShouldRetry(RetryPredicateArguments<HttpResponseMessage> args)
    {
        if (args.Context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var classification = await ClassifyAsync(args.Outcome, treatForbiddenAsCertificateRejection: false, args.Context.CancellationToken).ConfigureAwait(false);
        if (!classification.IsTransient)
        {
            return false;
        }

        // Fails closed: a request that cannot be found cannot be shown to be idempotent and replayable.
        var request = args.Context.GetRequestMessage() ?? args.Outcome.Result?.RequestMessage;
        return request is not null && RequestReplay.Check(request, allowNonIdempotentMethods: false) is null;
    }

    private static bool IsTransient(SocketError error) => error is SocketError.ConnectionRefused
        or SocketError.ConnectionReset
        or SocketError.ConnectionAborted
        or SocketError.TimedOut
        or SocketError.HostNotFound
        or SocketError.TryAgain
        or SocketError.NoData
        or SocketError.HostUnreachable
        or SocketError.HostDown
        or SocketError.NetworkUnreachable
        or SocketError.NetworkDown
        or SocketError.NetworkReset
        or SocketError.Shutdown;

    /// <summary>Tells whether an HTTP status is a transient failure: 408, 429, 500, 502, 503 or 504.</summary>
    internal static bool IsTransientStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Tells whether a TLS alert (in OpenSSL's words) is about the client's certificate.</summary>
    internal static bool IsCertificateAlert(string alert) => CertificateAlerts.Contains(alert);

    /// <summary>
    /// Finds the TLS alert a peer sent, in OpenSSL's words ("unknown ca"). Read only from the innermost exception, and
    /// only when it is the native library's own error (a <see cref="CryptographicException"/>, whose text OpenSSL
    /// writes): the messages above it can quote strings the server controls.
    /// </summary>
    internal static string? FindTlsAlert(Exception exception)
    {
        if (Innermost(exception) is not CryptographicException native)
        {
            return null;
        }

        // OpenSSL words a received alert as "sslv3 alert bad certificate", "tlsv1 alert unknown ca",
        // "tlsv13 alert certificate required", ….
        var match = TlsAlertPattern().Match(native.Message);
        return match.Success ? match.Groups["alert"].Value.Trim() : null;
    }

    internal static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    internal static Exception Innermost(Exception exception)
    {
        var current = exception;
        while (current.InnerException is not null)
        {
            current = current.InnerException;
        }

        return current;
    }

    private static async ValueTask<string?> FindNginxCertificateErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is not (> 0 and <= MaxInspectedBodyLength))
        {
            return null;
        }

        // Buffered, so the caller (or Polly's disposal of a handled response) still finds the content intact.
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return Array.Find(NginxCertificateErrors, text => body.Contains(text, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"\b(?:sslv3|tlsv1|tlsv13) alert (?<alert>[a-z ]+?)(?:\s*$|[^a-z ])", RegexOptions.CultureInvariant)]
    private static partial Regex TlsAlertPattern();
}
