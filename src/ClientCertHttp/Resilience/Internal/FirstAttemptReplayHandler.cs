using System.Net.Http;

namespace ClientCertHttp.Resilience;

/// <summary>
/// Sits just inside the client's retry pipeline. <see cref="RetryOutcomeHandler"/> sends a request's first attempt
/// past the pipeline; only when that attempt fails does the request enter the pipeline, and this handler gives the
/// pipeline's first attempt the outcome already seen (<see cref="RetryState.TakeFirstOutcome"/>) instead of sending
/// the request again. Later attempts go through.
/// </summary>
internal sealed class FirstAttemptReplayHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        RetryState.From(request)?.TakeFirstOutcome() ?? base.SendAsync(request, cancellationToken);
}
