namespace ClientCertHttp.Identities;

/// <summary>Names the identity whose client certificate a request is sent with.</summary>
public static class ClientCertificateIdentityRequestExtensions
{
    /// <summary>The key under which the identity is kept in <see cref="HttpRequestMessage.Options"/>.</summary>
    public static readonly HttpRequestOptionsKey<string> IdentityKey = new("ClientCertHttp.Identity");

    /// <summary>
    /// Makes <paramref name="request"/> go out with the client certificate of <paramref name="identity"/>, on a
    /// connection of that identity's own pool.
    /// </summary>
    /// <param name="request">The request, sent through a client configured with identities.</param>
    /// <param name="identity">The identity, as configured or as the <see cref="IClientCertificateIdentityProvider"/> knows it.</param>
    /// <returns>The same <paramref name="request"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> or <paramref name="identity"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="identity"/> is empty.</exception>
    /// <remarks>
    /// An identity the client does not know fails the request with a <see cref="ClientCertificateException"/>
    /// (<see cref="ClientCertificateFailureReason.UnknownIdentity"/>); it is never sent without a certificate. A client
    /// configured without identities does not read the request's options (reading them creates them, which every
    /// request would pay): there the identity is not looked at and the request goes with the client's own certificate.
    /// </remarks>
    public static HttpRequestMessage SetClientCertificateIdentity(this HttpRequestMessage request, string identity)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(identity);
        request.Options.Set(IdentityKey, identity);
        return request;
    }

    /// <summary>Gets the identity <paramref name="request"/> is sent with, or <see langword="null"/> when it names none.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The identity, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    public static string? GetClientCertificateIdentity(this HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Options.TryGetValue(IdentityKey, out var identity) ? identity : null;
    }
}
