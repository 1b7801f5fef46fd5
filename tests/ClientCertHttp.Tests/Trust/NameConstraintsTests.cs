using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClientCertHttp.TestUtilities;
using ClientCertHttp.Trust;

namespace ClientCertHttp.Tests.Trust;

/// <summary>
/// The library's own name constraint evaluation (issue 17, item 1), over chains built by X509Chain from certificates
/// minted at run time. The platform's verdict on each chain is asserted beside the library's where the two differ.
/// </summary>
public sealed class NameConstraintsTests
{
    [Theory]
    // Literal names against subtrees (RFC 5280: the subtree and every name under it; OpenSSL's leading dot: under it only).
    [InlineData("bad.example.com", "bad.example.com", true)]
    [InlineData("x.bad.example.com", "bad.example.com", true)]
    [InlineData("BAD.Example.com", "bad.example.com", true)]
    [InlineData("notbad.example.com", "bad.example.com", false)]
    [InlineData("example.com", "bad.example.com", false)]
    [InlineData("example.com", ".example.com", false)]
    [InlineData("a.example.com", ".example.com", true)]
    [InlineData("anything.test", "", true)]
    public void Within_LiteralName_FollowsTheSubtree(string name, string subtree, bool expected) =>
        NameConstraints.Within(name, subtree).Should().Be(expected);

    [Theory]
    // *.{parent} against an excluded subtree: is there one label L such that L.parent lies in it?
    [InlineData("example.com", "bad.example.com", true)]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "com", true)]
    [InlineData("example.com", ".example.com", true)]
    [InlineData("example.com", ".com", true)]
    [InlineData("example.com", "a.bad.example.com", false)]
    [InlineData("example.com", ".bad.example.com", false)]
    [InlineData("example.com", "badexample.com", false)]
    [InlineData("example.com", "other.test", false)]
    [InlineData("api.example.com", "example.com", true)]
    [InlineData("", "anything.test", true)]
    public void WildcardMayEnter_ExcludedSubtree_IsTrueWhenSomeMatchedNameLiesInIt(string parent, string subtree, bool expected) =>
        NameConstraints.WildcardMayEnter(parent, subtree).Should().Be(expected);

    [Theory]
    // *.{parent} against a permitted subtree: does every L.parent lie in it?
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", ".example.com", true)]
    [InlineData("api.example.com", "example.com", true)]
    [InlineData("example.com", "good.example.com", false)]
    [InlineData("example.com", ".good.example.com", false)]
    [InlineData("example.com", "other.test", false)]
    [InlineData("example.com", "", true)]
    [InlineData("", "example.com", false)]
    public void WildcardStaysWithin_PermittedSubtree_IsTrueOnlyWhenEveryMatchedNameLiesInIt(string parent, string subtree, bool expected) =>
        NameConstraints.WildcardStaysWithin(parent, subtree).Should().Be(expected);

    [Fact]
    public void Check_WildcardUnderAnExcludedSubtree_IsAViolationTheLiteralReadingMisses()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com"])];
            o.LeafDnsNames = ["*.example.com"];
        });
        using var built = Build(chain, out var platformAccepts);

        platformAccepts.Should().BeTrue("OpenSSL compares '*.example.com' with 'bad.example.com' as text");
        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: false).Should()
            .Contain("'*.example.com' can match names in the excluded subtree 'bad.example.com'").And.Contain(chain.Intermediate.Subject);
        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: true).Should().BeNull();
    }

    [Fact]
    public void Check_LiteralNameInAnExcludedSubtree_IsAViolationWhateverTheWildcardSetting()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com"])];
            o.LeafDnsNames = ["x.bad.example.com"];
        });
        using var built = Build(chain, out var platformAccepts);

        platformAccepts.Should().BeFalse();
        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: true).Should().Contain("'x.bad.example.com' is in the excluded subtree");
    }

    [Fact]
    public void Check_NamesWithinEveryConstraintOfEveryCa_AreAllowed()
    {
        using var chain = TestChain.Create(o =>
        {
            o.RootExtensions = [TestChain.NameConstraints(permittedDns: ["example.com", "localhost"])];
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedDns: ["bad.example.com", ".internal.example.com"], excludedIp: [[10, 0, 0, 0, 255, 0, 0, 0]])];
            o.LeafDnsNames = ["localhost", "www.example.com", "*.api.example.com", "internal.example.com"];
        });
        using var built = Build(chain, out var platformAccepts);

        platformAccepts.Should().BeTrue();
        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: false).Should().BeNull();
    }

    [Fact]
    public void Check_IpAddressOutsideThePermittedRange_IsAViolation()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(permittedIp: [[10, 0, 0, 0, 255, 0, 0, 0]])];
            o.LeafIpAddresses = [IPAddress.Loopback];
        });
        using var built = Build(chain, out _);

        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: false).Should()
            .Contain("the IP address 127.0.0.1 is outside the permitted ranges 10.0.0.0/255.0.0.0");
    }

    [Fact]
    public void Check_IpAddressInAnExcludedRange_IsAViolation()
    {
        using var chain = TestChain.Create(o =>
        {
            o.IntermediateExtensions = [TestChain.NameConstraints(excludedIp: [[127, 0, 0, 0, 255, 0, 0, 0]])];
            o.LeafIpAddresses = [IPAddress.Loopback, IPAddress.IPv6Loopback];
        });
        using var built = Build(chain, out _);

        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: false).Should()
            .Contain("the IP address 127.0.0.1 is in the excluded range 127.0.0.0/255.0.0.0");
    }

    [Fact]
    public void Check_ExtensionTheLibraryCannotRead_IsReportedAsUnreadable()
    {
        // An excluded iPAddress constraint of 4 bytes (an address without its mask): OpenSSL decodes the extension and
        // builds the chain; RFC 5280 requires address and mask.
        using var chain = TestChain.Create(o => o.IntermediateExtensions = [new X509Extension("2.5.29.30", [0x30, 0x0A, 0xA1, 0x08, 0x30, 0x06, 0x87, 0x04, 10, 0, 0, 1], critical: true)]);
        using var built = Build(chain, out _);

        NameConstraints.Check(built.ChainElements, judgeWildcardsLiterally: true).Should().Contain("cannot be read").And.Contain(chain.Intermediate.Subject);
    }

    [Fact]
    public void Check_ExtensionThatIsNotDer_KeepsTheCaOutOfThePlatformsChain()
    {
        // A SEQUENCE whose length runs past the end of the value: the platform cannot use such a CA at all.
        using var chain = TestChain.Create(o => o.IntermediateExtensions = [new X509Extension("2.5.29.30", [0x30, 0x05, 0xA1, 0x03], critical: true)]);
        using var built = new X509Chain();
        built.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        built.ChainPolicy.CustomTrustStore.Add(chain.Root);
        built.ChainPolicy.ExtraStore.Add(chain.Intermediate);

        built.Build(chain.Leaf).Should().BeFalse();
        built.ChainElements.Count.Should().Be(1);
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 0x00 }, true)]
    [InlineData(new byte[] { 0x30, 0x02, 0xA0, 0x00 }, false)]
    [InlineData(new byte[] { 0x30, 0x0A, 0xA1, 0x08, 0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1 }, false)]
    [InlineData(new byte[] { 0x30, 0x00, 0x00 }, false)]
    public void TryParse_Shapes_AreReadOrRefused(byte[] der, bool readable) =>
        (NameConstraints.TryParse(der) is not null).Should().Be(readable, "an empty NameConstraints is valid; an empty subtree list, an IP constraint without its mask and trailing bytes are not");

    private static X509Chain Build(TestChain chain, out bool platformAccepts)
    {
        var built = new X509Chain();
        built.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        built.ChainPolicy.CustomTrustStore.Add(chain.Root);
        built.ChainPolicy.ExtraStore.Add(chain.Intermediate);
        built.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        platformAccepts = built.Build(chain.Leaf);
        built.ChainElements.Count.Should().Be(3, "the chain is complete whatever its verdict");
        return built;
    }
}
