using System.Net;
using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Builds a client's retry pipeline from its <see cref="ClientCertHttpRetryOptions"/>: total timeout, retry, attempt
/// timeout — the shape of the standard resilience handler, with <see cref="HttpFailureClassifier"/> deciding.
/// </summary>
internal static class ClientCertHttpResiliencePipeline
{
    /// <summary>The pipeline identifier; Microsoft.Extensions.Http.Resilience prefixes it with the client name.</summary>
    public const string PipelineName = "ClientCertHttp";

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context, string clientName)
    {
        context.EnableReloads<ClientCertHttpOptions>(clientName);
        var services = context.ServiceProvider;
        var options = services.GetRequiredService<IOptionsMonitor<ClientCertHttpOptions>>().Get(clientName).Retry;
        if (options is null || !options.Enabled)
        {
            // An empty pipeline passes every request straight through.
            return;
        }

        var reloader = services.GetRequiredService<ICertificateRejectionReloader>();
        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;

        builder
            .AddTimeout(new HttpTimeoutStrategyOptions
            {
                Name = "TotalTimeout",
                Timeout = options.TotalTimeout,

                // The first attempt ran before the request entered the pipeline: the total counts from its start.
                TimeoutGenerator = args => ValueTask.FromResult(RemainingTotal(args.Context, options.TotalTimeout, timeProvider)),
                OnTimeout = args =>
                {
                    // Polly reports the generated (remaining) time; RetryOutcomeHandler reports the configured total.
                    if (RetryState.From(args.Context.GetRequestMessage()) is { } state)
                    {
                        state.TotalTimedOut = true;
                    }

                    return default;
                },
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "Retry",
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.Delay,
                BackoffType = options.BackoffType,
                UseJitter = options.UseJitter,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ShouldHandleAsync(args, clientName, options, reloader, timeProvider),
                DelayGenerator = args => GenerateDelay(args, timeProvider),
            })
            .AddTimeout(new HttpTimeoutStrategyOptions { Name = "AttemptTimeout", Timeout = options.AttemptTimeout });
    }

    private static async ValueTask<bool> ShouldHandleAsync(
        RetryPredicateArguments<HttpResponseMessage> args,
        string clientName,
        ClientCertHttpRetryOptions options,
        ICertificateRejectionReloader reloader,
        TimeProvider timeProvider)
    {
        var cancellationToken = args.Context.CancellationToken;
        var request = args.Context.GetRequestMessage() ?? args.Outcome.Result?.RequestMessage;
        var state = RetryState.From(request);
        if (cancellationToken.IsCancellationRequested)
        {
            return CanceledRetry.ShouldHandle(args.Outcome, state);
        }

        var classification = await HttpFailureClassifier.ClassifyAsync(args.Outcome, options.TreatForbiddenAsCertificateRejection, cancellationToken).ConfigureAwait(false);
        state?.Record(classification, args.Outcome.Exception);

        switch (classification.Category)
        {
            case HttpFailureCategory.Transient:
                // Fails closed: without the request, nothing says that sending it again is safe.
                var notRetried = request is null
                    ? "the request could not be found, so it cannot be shown to be safe to send again"
                    : RequestReplay.Check(request, options.RetryNonIdempotentMethods);
                if (notRetried is null && RetryAfter(args.Outcome.Result, timeProvider) is { } wait && wait > options.MaxDelay)
                {
                    // Retrying sooner would ignore the server; waiting longer would hold the caller beyond MaxDelay.
                    notRetried = $"the server asked to wait {wait} (Retry-After), longer than Retry:MaxDelay ({options.MaxDelay}); the response is returned";
                }

                if (state is not null)
                {
                    state.NotRetriedBecause = notRetried;
                }

                return notRetried is null;

            case HttpFailureCategory.ClientCertificateRejected when options.ReloadAndRetryOnCertificateRejection && state is { ReloadAttempted: false }:
                // A refusal during the TLS handshake comes before the request was sent: the method does not matter, but
                // the content must still be replayable. A refusal after it (an HTTP status, or a connection closed
                // after the request went out) may follow a server that processed the request: only an idempotent
                // request (or RetryNonIdempotentMethods) is sent again.
                if (args.AttemptNumber >= options.MaxRetryAttempts)
                {
                    // No attempt left to use a reloaded certificate: do not reload for nothing.
                    return false;
                }

                state.ReloadAttempted = true;
                if (request is null)
                {
                    state.NotRetriedBecause = "the request could not be found, so it cannot be shown to be safe to send again";
                    return false;
                }

                var refusedBeforeSending = RefusedDuringHandshake(args.Outcome);
                if ((refusedBeforeSending ? RequestReplay.CheckContent(request) : RequestReplay.Check(request, options.RetryNonIdempotentMethods)) is { } why)
                {
                    state.NotRetriedBecause = refusedBeforeSending ? why : $"{why}; the certificate was refused after the request was sent";
                    return false;
                }

                state.ReloadChangedCertificate = await reloader.ReloadAsync(clientName, state, cancellationToken).ConfigureAwait(false);
                state.RetryAfterReload = state.ReloadChangedCertificate;
                return state.ReloadChangedCertificate;

            default:
                return false;
        }
    }

    /// <summary>
    /// What is left of the total timeout for a request whose first attempt ran past the pipeline; never zero, which
    /// would mean no timeout at all: a request out of time still enters, and its first outcome decides (a failure that
    /// would be retried meets the expired timeout instead).
    /// </summary>
    private static TimeSpan RemainingTotal(ResilienceContext context, TimeSpan total, TimeProvider timeProvider)
    {
        if (RetryState.From(context.GetRequestMessage())?.StartedAt is not { } startedAt)
        {
            return total;
        }

        var remaining = total - timeProvider.GetElapsedTime(startedAt);
        return remaining > MinimumRemaining ? remaining : MinimumRemaining;
    }

    private static readonly TimeSpan MinimumRemaining = TimeSpan.FromMilliseconds(1);

    /// <summary>Tells whether the certificate was refused during the TLS handshake, that is before the request was sent.</summary>
    private static bool RefusedDuringHandshake(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } exception
        && HttpFailureClassifier.Find<HttpRequestException>(exception) is { HttpRequestError: HttpRequestError.SecureConnectionError };

    private static ValueTask<TimeSpan?> GenerateDelay(RetryDelayGeneratorArguments<HttpResponseMessage> args, TimeProvider timeProvider)
    {
        var state = RetryState.From(args.Context.GetRequestMessage());
        if (state is { RetryAfterReload: true })
        {
            // One immediate attempt with the reloaded certificate.
            state.RetryAfterReload = false;
            return ValueTask.FromResult<TimeSpan?>(TimeSpan.Zero);
        }

        // Null: the delay computed from Delay, BackoffType, UseJitter and MaxDelay.
        return ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider));
    }

    /// <summary>The wait a 429 or 503 response asks for with its Retry-After header, or <see langword="null"/>.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider)
    {
        if (response is not { StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable }
            || response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date - timeProvider.GetUtcNow());
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }
}
