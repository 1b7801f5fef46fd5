using ClientCertHttp.Trust;

namespace ClientCertHttp.Tests.Trust;

public sealed class ServerIdentityTests(ClientCertFixture fixture) : IClassFixture<ClientCertFixture>
{
    [Theory]
    [InlineData("dns:API.corp.example", "dns")]
    [InlineData("uri:spiffe://corp/payments", "uri")]
    [InlineData("subject:CN=payments,O=Corp", "subject")]
    public void FindMatch_EachKindOfIdentity_MatchesTheCertificate(string entry, string kind)
    {
        using var certificate = fixture.Ca.IssueServerCertificate("CN=payments, O=Corp", o =>
        {
            o.DnsNames = ["api.corp.example."];
            o.UriNames = [new Uri("spiffe://corp/payments")];
        });
        var identity = ServerIdentity.Parse(entry, out var error);

        var match = ServerIdentity.FindMatch([identity!], certificate);

        error.Should().BeNull();
        match.Should().NotBeNull(kind + " identities must match");
    }

    [Theory]
    [InlineData("dns:corp.example")]
    [InlineData("dns:*.corp.example")]
    [InlineData("uri:spiffe://corp/payments/v2")]
    [InlineData("uri:SPIFFE://corp/payments")]
    [InlineData("subject:CN=payments")]
    public void FindMatch_NearMisses_DoNotMatch(string entry)
    {
        using var certificate = fixture.Ca.IssueServerCertificate("CN=payments, O=Corp", o =>
        {
            o.DnsNames = ["api.corp.example"];
            o.UriNames = [new Uri("spiffe://corp/payments")];
        });

        var match = ServerIdentity.FindMatch([ServerIdentity.Parse(entry, out _)!], certificate);

        match.Should().BeNull();
    }

    [Theory]
    [InlineData("spiffe://corp/payments")]
    [InlineData("dns:")]
    [InlineData("ip:127.0.0.1")]
    [InlineData("uri:relative/path")]
    [InlineData("subject:not a distinguished name ===")]
    public void Parse_InvalidEntry_ReturnsAnError(string entry)
    {
        var identity = ServerIdentity.Parse(entry, out var error);

        identity.Should().BeNull();
        error.Should().Contain(entry);
    }
}
