using System.Net.Http;
using ClientCertHttp.Certificates;
using ClientCertHttp.Diagnostics;
using ClientCertHttp.Resilience;
using ClientCertHttp.Trust;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Sits just outside the client's retry pipeline. Sends each request's first attempt itself, past the pipeline, and
/// returns a successful response from there: the success path costs one async frame and the attempt's timeout, not
/// the pipeline's strategies. Only a failed first attempt enters the pipeline, with a <see cref="RetryState"/> that
/// carries its outcome (<see cref="FirstAttemptReplayHandler"/> replays it to the pipeline), so that the pipeline
/// decides about it, and about every later attempt, as if it had sent it. Logs and counts every request the pipeline
/// gave up on with its classification, and turns certificate and trust failures into a
/// <see cref="ClientCertHttpRequestException"/> that names the client and the certificate.
/// </summary>
/// <remarks>
/// With <c>forwarding</c> it sits on a pipeline with no retries at all (a reverse proxy's: a proxied request is sent
/// once, its body streamed): it reports the one attempt's failure the same way, whatever the client's retry options.
/// A gRPC call (<see cref="GrpcRequests"/>) takes that same path past the client's pipeline: gRPC retries by its own
/// policy, and a streaming call must not meet an attempt timeout.
/// </remarks>
internal sealed class RetryOutcomeHandler(
    ClientCertificateSource source,
    ClientCertHttp.Identities.ClientCertificateIdentityPool identities,
    FailureDiagnoser diagnoser,
    ILogger logger,
    TimeProvider timeProvider,
    bool forwarding = false) : DelegatingHandler
{
    private readonly string _clientName = source.ClientName;
    private PipelineShape? _shape;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (forwarding || GrpcRequests.IsGrpc(request))
        {
            return ForwardAsync(request, cancellationToken);
        }

        // The last good options: a broken configuration reload changes nothing here.
        var options = source.Options;
        if (options.Retry is not { Enabled: true })
        {
            // Retries off: the pipeline below is empty, so it is skipped, together with the resilience context and
            // async frame it would cost every request. No allocation, no await here.
            return Shape().Next.SendAsync(request, cancellationToken);
        }

        return SendWithRetriesAsync(request, options, cancellationToken);
    }

    /// <summary>
    /// The handler after the client's resilience handler and its <see cref="FirstAttemptReplayHandler"/>, which
    /// AddClientCertificate adds right below this one. Any other shape (a handler pipeline rearranged by other code)
    /// keeps the full path for every attempt.
    /// </summary>
    private PipelineShape Shape() =>
        _shape ??= InnerHandler is Microsoft.Extensions.Http.Resilience.ResilienceHandler { InnerHandler: FirstAttemptReplayHandler { InnerHandler: { } next } }
            ? new PipelineShape(new HttpMessageInvoker(next, disposeHandler: false), IsOurs: true)
            : new PipelineShape(new HttpMessageInvoker(InnerHandler!, disposeHandler: false), IsOurs: false);

    private Task<HttpResponseMessage> SendWithRetriesAsync(HttpRequestMessage request, ClientCertHttpOptions options, CancellationToken cancellationToken)
    {
        // A request that names an identity is about that identity's certificate: resolved (loaded, the first time)
        // here, outside the retry pipeline, so that an unknown identity fails once and is never retried. Only a
        // client with identities looks: reading request.Options creates them, which every request would pay.
        if (source.HasIdentities
            && request.Options.TryGetValue(ClientCertHttp.Identities.ClientCertificateIdentityRequestExtensions.IdentityKey, out var identity))
        {
            var lookup = identities.GetAsync(identity, cancellationToken);
            return lookup.IsCompletedSuccessfully
                ? SendFirstAttemptAsync(request, options, lookup.Result.Source, cancellationToken)
                : SendAfterIdentityLoadAsync(request, options, lookup, cancellationToken);
        }

        return SendFirstAttemptAsync(request, options, source, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAfterIdentityLoadAsync(HttpRequestMessage request, ClientCertHttpOptions options, ValueTask<ClientCertHttp.Identities.IdentityEntry> lookup, CancellationToken cancellationToken)
    {
        var entry = await lookup.ConfigureAwait(false);
        return await SendFirstAttemptAsync(request, options, entry.Source, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendFirstAttemptAsync(HttpRequestMessage request, ClientCertHttpOptions options, ClientCertificateSource used, CancellationToken cancellationToken)
    {
        // What a rejection is about: the certificate in use when the request started.
        var start = new RequestStart(used, used.LoadsStarted, used.Current, timeProvider.GetTimestamp());
        HttpResponseMessage? response = null;
        Exception? failure = null;
        if (Shape().IsOurs)
        {
            var attemptTimeout = options.Retry!.AttemptTimeout;
            var timeout = AttemptTimeout.Start(attemptTimeout, timeProvider, cancellationToken);
            try
            {
                response = await _shape!.Next.SendAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // The caller's cancellation goes straight back to the caller, as the pipeline would let it.
                failure = timeout.TimedOut(ex, attemptTimeout, cancellationToken, out var rejected) ? rejected : ex;
            }
            finally
            {
                timeout.Dispose();
            }

            if (failure is null && (int)response!.StatusCode < 400)
            {
                // Success (1xx-3xx): nothing to classify, retry or report.
                return response;
            }
        }

        // The same awaiter type as above: the compiler shares its field, so success costs no more for this await.
        return await RetryAsync(request, options, start, response, failure, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The slow path: a failed first attempt (or every attempt, in a rearranged pipeline) goes through the retry pipeline.</summary>
    private async Task<HttpResponseMessage> RetryAsync(
        HttpRequestMessage request,
        ClientCertHttpOptions options,
        RequestStart start,
        HttpResponseMessage? firstResponse,
        Exception? firstFailure,
        CancellationToken cancellationToken)
    {
        var state = new RetryState { Source = start.Source, LoadsStartedAtStart = start.LoadsStarted, StateAtStart = start.State, StartedAt = start.StartedAt };
        if (Shape().IsOurs)
        {
            state.SetFirstOutcome(firstResponse, firstFailure);
        }

        request.Options.Set(RetryState.Key, state);

        // The failure is handled after the catch, not inside it: an await inside a catch would add fields to this
        // method's state machine.
        Exception failure;
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            LogReturnedFailure(request, options, state);
            return response;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            failure = ex is TimeoutRejectedException timedOut && state.TotalTimedOut && options.Retry is { } retry
                ? AttemptTimeout.Rejected(retry.TotalTimeout, timedOut)
                : ex;
        }

        return await FailAsync(request, failure, options, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What is known of a request before its first attempt: the source and certificate it starts with.</summary>
    /// <summary>The handler past the retry pipeline, and whether the pipeline is the one AddClientCertificate built.</summary>
    private sealed record PipelineShape(HttpMessageInvoker Next, bool IsOurs);

    private readonly record struct RequestStart(ClientCertificateSource Source, long LoadsStarted, ClientTlsState State, long StartedAt);

    private async Task<HttpResponseMessage> ForwardAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Exception failure;
        try
        {
            return await Shape().Next.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            failure = ex;
        }

        return await FailAsync(request, failure, source.Options, state: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Logs and counts a response the pipeline gave up on (it is returned, not thrown).</summary>
    private void LogReturnedFailure(HttpRequestMessage request, ClientCertHttpOptions options, RetryState state)
    {
        if (state.LastClassification is { } last)
        {
            source.Instruments.RequestFailed(_clientName, last, exception: null);
        }

        if (state.LastClassification is { Category: not HttpFailureCategory.None and not HttpFailureCategory.Canceled } final
            && (state.Attempts > 1 || final.Category is not HttpFailureCategory.NonTransientStatusCode))
        {
            if (final.Category == HttpFailureCategory.ClientCertificateRejected)
            {
                LogRejectedCertificate(options, final, state);
            }

            LogGaveUp(request, state.Attempts, final, state, "The response is returned.");
        }
    }

    /// <summary>The failure path: classifies, diagnoses (once), logs, and throws the translated or the original exception.</summary>
    private async Task<HttpResponseMessage> FailAsync(HttpRequestMessage request, Exception failure, ClientCertHttpOptions options, RetryState? state, CancellationToken cancellationToken)
    {
        if (failure is HttpRequestException original && ChainBuildFailure.Find(original) is { } chainBuild)
        {
            // The validation callback never ran: report the chain the platform could not build as a rejected chain.
            failure = ChainBuildFailure.Translate(original, chainBuild, _clientName, request.RequestUri?.IdnHost ?? string.Empty, logger);
        }

        var classification = state is not null && ReferenceEquals(failure, state.LastException) && state.LastClassification is { } last
            ? last
            : HttpFailureClassifier.Classify(failure);
        source.Instruments.RequestFailed(_clientName, classification, failure);
        var attempts = Math.Max(1, state?.Attempts ?? 1);
        var translated = await TranslateAsync(request, failure, classification, attempts, options, state, cancellationToken).ConfigureAwait(false);
        LogGaveUp(request, attempts, classification, state, translated is null ? "The exception is rethrown." : "Thrown as ClientCertHttpRequestException.");
        if (translated is not null)
        {
            throw translated;
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return null!;
    }

    private async Task<ClientCertHttpRequestException?> TranslateAsync(
        HttpRequestMessage request,
        Exception exception,
        HttpFailureClassification classification,
        int attempts,
        ClientCertHttpOptions options,
        RetryState? state,
        CancellationToken cancellationToken)
    {
        if (exception is not HttpRequestException original)
        {
            return null;
        }

        var isNetwork = classification.Category == HttpFailureCategory.Transient
            && original.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
        if (classification.Category is not (HttpFailureCategory.ClientCertificateRejected or HttpFailureCategory.ServerCertificateRejected or HttpFailureCategory.TlsHandshakeFailed)
            && !isNetwork)
        {
            return null;
        }

        var diagnosis = await diagnoser.DiagnoseAsync(_clientName, request.RequestUri, classification, exception, statusCode: null, cancellationToken, (state?.Source ?? source).Current).ConfigureAwait(false);
        var (reason, message) = Describe(classification, attempts, options, state);
        return new ClientCertHttpRequestException(
            _clientName,
            reason,
            classification,
            attempts,
            $"{message} Diagnosis: {diagnosis.Summary}",
            original.HttpRequestError,
            original.InnerException)
        {
            Diagnosis = diagnosis,
        };
    }

    private (ClientCertificateFailureReason Reason, string Message) Describe(
        HttpFailureClassification classification,
        int attempts,
        ClientCertHttpOptions options,
        RetryState? state)
    {
        var prefix = $"HTTP client '{_clientName}'";
        var tried = attempts == 1 ? "1 attempt" : $"{attempts} attempts";
        switch (classification.Category)
        {
            case HttpFailureCategory.ClientCertificateRejected:
                var certificate = LogRejectedCertificate(options, classification, state);
                return (ClientCertificateFailureReason.ClientCertificateRejectedByServer,
                    $"{prefix}: the server rejected the client certificate {certificate}: {classification.Description}. A reload was {ReloadOutcome(state)} ({tried}). Check that the server trusts the CA that issued the certificate, that the intermediates reach it (ClientCertHttp sends the chain found in the certificate file), that the certificate is neither expired nor revoked, and that the server's access rules admit it.");

            case HttpFailureCategory.ServerCertificateRejected:
                var trust = options.ServerTrust?.Mode == ServerTrustMode.CustomRoots
                    ? $"the custom roots in '{options.ServerTrust.RootCertificatesPath}' (ServerTrust:RootCertificatesPath)"
                    : "the operating system's trust store (ServerTrust:Mode System)";
                return (ClientCertificateFailureReason.ServerCertificateRejected,
                    $"{prefix}: {classification.Description}. The server's chain must end at {trust} and its certificate must name the host; not retried, as no retry can fix a trust failure ({tried}).");

            case HttpFailureCategory.TlsHandshakeFailed:
                return (ClientCertificateFailureReason.TlsHandshakeFailed,
                    $"{prefix}: {classification.Description}; not retried ({tried}).");

            default:
                // A connection failure (the only other kind that reaches here), after any retries.
                return (ClientCertificateFailureReason.ConnectionFailed, $"{prefix}: {classification.Description} ({tried}).");
        }
    }

    private string LogRejectedCertificate(ClientCertHttpOptions options, HttpFailureClassification classification, RetryState? state)
    {
        // The certificate in use now: after a reload and a retry, the one the last attempt was sent with.
        var used = state?.Source ?? source;
        if (used.Current.Certificate?.Certificate is not { } leaf)
        {
            return "(none)";
        }

        var identity = used.Current == source.Current ? string.Empty : " of the request's identity";

        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        if (logger.IsEnabled(LogLevel.Error))
        {
            Log.ClientCertificateRejectedByServer(logger, _clientName, leaf.Subject, leaf.Thumbprint, notAfter, classification.Description, ReloadOutcome(state));
        }

        return $"'{leaf.Subject}'{identity} (thumbprint {leaf.Thumbprint}, not after {notAfter:yyyy-MM-dd})";
    }

    private static string ReloadOutcome(RetryState? state) => state switch
    {
        null => "not attempted: a forwarded request or a gRPC call is sent once and never retried",
        { ReloadAttempted: false } => "not attempted, so the request was not retried",
        { ReloadChangedCertificate: false } => "attempted but the certificate is unchanged (its source still holds the rejected certificate), so the request was not retried",
        _ => "made and the request retried once with the new certificate, which the server rejected too",
    };

    private void LogGaveUp(HttpRequestMessage request, int attempts, HttpFailureClassification classification, RetryState? state, string outcome)
    {
        if (!logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        var decision = classification.Category switch
        {
            _ when state is null => "Sent once, never retried (a forwarded request or a gRPC call).",
            HttpFailureCategory.Transient when state.NotRetriedBecause is { } why => $"Not retried: {why}.",
            HttpFailureCategory.Transient => "Retries exhausted or total timeout reached.",
            _ => "Not retryable.",
        };

        // Scheme, host, port and path only: user information and a query string may carry secrets.
        var uri = LoggedUri.Describe(request.RequestUri);
        Log.RequestGaveUp(logger, _clientName, request.Method.Method, uri, attempts, classification.Category, classification.Description, $"{decision} {outcome}");
    }
}
