using ClientCertHttp.Certificates;
using Microsoft.Extensions.Primitives;

namespace ClientCertHttp.Identities;

/// <summary>
/// Supplies the client certificate of each identity of a per-identity client: a vault path per tenant, a database
/// row per merchant. Registered with <c>AddClientCertificateIdentityProvider</c>.
/// </summary>
/// <remarks>
/// <para>
/// Called on the thread pool the first time an identity is used (one call for concurrent first requests), when the
/// identity's change token fires, and when a server rejected the identity's certificate. Calls for different
/// identities may run concurrently: the implementation must be thread-safe. Each call is bounded by the client's
/// <see cref="ClientCertificateOptions.ProviderTimeout"/>.
/// </para>
/// <para>
/// The returned certificates belong to the library, which disposes them when the identity is unloaded or its
/// certificate replaced: return new instances on every call.
/// </para>
/// </remarks>
public interface IClientCertificateIdentityProvider
{
    /// <summary>Gets the certificate (with its private key) and intermediates of <paramref name="identity"/>.</summary>
    /// <param name="identity">The identity the request named.</param>
    /// <param name="cancellationToken">Canceled when the provider timeout elapses or the application stops.</param>
    /// <returns>The identity's bundle, or <see langword="null"/> when the identity is unknown, which fails the request with <see cref="ClientCertificateFailureReason.UnknownIdentity"/>.</returns>
    ValueTask<ClientCertificateBundle?> GetCertificateAsync(string identity, CancellationToken cancellationToken);

    /// <summary>Gets a token that fires when <paramref name="identity"/>'s certificate changes, so that it is reloaded.</summary>
    /// <param name="identity">A loaded identity.</param>
    /// <returns>A change token; the default never fires (the certificate is reloaded only after a rejection).</returns>
    IChangeToken GetChangeToken(string identity) => NeverChangeToken.Instance;
}
